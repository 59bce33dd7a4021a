// Package impactchat is an embeddable Go SDK for chat-for-impact services:
// WhatsApp lines that humanitarian and social-impact organisations run for
// refugees, newcomers and other people they serve.
//
// This package holds no code; it is the tour. A line is assembled from small
// packages, each usable on its own:
//
//   - [github.com/impactchat/impactchat/chat]: the channel-neutral vocabulary
//     (addresses, inbound messages and statuses as events, the closed set of
//     outgoing messages, Sender, Handler, Middleware, Replier) and the runtime
//     Server that drains a durable inbox into a handler chain, one person at a
//     time and in order.
//   - [github.com/impactchat/impactchat/whatsapp]: a typed WhatsApp Cloud API
//     client that respects Meta's limits and errors, and Channel, the
//     chat.Sender for WhatsApp. whatsapp/whatsapptest is a fake Graph API
//     that behaves like Meta, for tests and for the terminal simulator.
//   - [github.com/impactchat/impactchat/whatsapp/webhook]: signature
//     verification over the raw bytes, parsing of every payload Meta sends,
//     and an http.Handler that answers 200 only once events are durable.
//   - consent: the notice first, an append-only consent ledger, withdrawal
//     and erasure in one word, and a Guard that refuses sends without consent.
//   - triage: urgent cases to a person at once, rules for everything else, a
//     human queue with priorities, SLAs, business hours and escalation.
//   - flow: playbooks in YAML that communities read, translate, remix and
//     test, run by a stateless engine.
//   - broadcast: bulk messages to people who agreed to them, paced and
//     resumable.
//   - [github.com/impactchat/impactchat/storage]: the contracts of everything
//     a line remembers, with an in-memory store, SQLite (embedded, the
//     default) and Postgres (for several replicas), all passing one
//     conformance suite, with personal data sealed at rest.
//
// A message travels: Meta → webhook.Handler (verify, parse) → chat.Server
// (durable inbox, deduplicated) → triage.Screen → consent.Gate →
// triage.Router → flow.Runner, and replies go out through consent.Guard →
// whatsapp.Channel → whatsapp.Client.
//
// The examples directory holds runnable lines to start from; the README says
// how to run them.
package impactchat
