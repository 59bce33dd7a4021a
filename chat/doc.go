// Package chat is the channel-neutral vocabulary of impactchat and the runtime
// that turns accepted webhooks into handled conversations.
//
// Everything a line does is said in the words of this package:
//
//   - An [Address] names a person on a line: the channel ("whatsapp"), the line
//     (the business phone number id) and the contact (a phone number or a
//     business-scoped user id). Addresses mask the contact when logged.
//   - An [Event] is one thing a channel reported: an inbound [Message] or a
//     delivery [Status] of something the line sent. Every event has a stable
//     [Event.Key], so a delivery that arrives twice is handled once.
//   - An [Outgoing] is one thing the line says. The set is closed: [Text],
//     [Choices], [Media], [Template], [Location], [Reaction] and the [Native]
//     escape hatch for channel-specific messages. Each validates itself and
//     names the field that is wrong.
//   - A [Sender] sends an Outgoing to an Address. A [Handler] handles an inbound
//     Message and answers through a [Replier] bound to the person it handles.
//     [Middleware] wraps a Handler, and [Chain] composes them, in the manner of
//     net/http.
//
// The runtime is [Server]. [Server.Accept] puts a delivery's events into the
// durable inbox of a storage.Store, deduplicated by key, and returns only once
// they are safe, so a webhook handler answers the channel after it (it
// satisfies webhook.Sink). [Server.Run] drains the inbox with a pool of
// workers: one person's events are handled one at a time and in order,
// different people in parallel, and several replicas may share one store.
// A handler's error or panic is retried with backoff and, after the last
// attempt (or at once for a [Permanent] error), set aside for an operator
// with a readable reason. [Server.Shutdown] stops claiming, lets handlers in
// flight finish, and releases what did not, so nothing is left half done.
//
// Around the runtime: [ContactWindow] tells a channel when a person last
// wrote (WhatsApp's 24-hour window); [RecordInbound] keeps inbound messages
// in the conversation log and belongs after the consent gate in the chain
// (consent's RecordGranted checks consent itself and may come first), so
// that only the words of people who agreed are kept; [RecordStatus]
// applies delivery statuses without ever moving one backwards; [Metrics]
// counts what the runtime does.
//
// Sends carry an [Intent] in their context: the purpose the message serves
// (core service, follow-up, feedback...) and, for the few messages a line may
// send to a person who has not consented, which exemption applies (the notice
// itself, a withdrawal confirmation, a safety acknowledgement). Consent guards
// read the intent; nothing else needs to know about it.
package chat
