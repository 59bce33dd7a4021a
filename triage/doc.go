// Package triage makes sure urgent cases reach a person first, and that
// every other message gets the right answer or the right queue.
//
// A line composes it around the consent gate:
//
//	h := chat.Chain(router, screen.Middleware, consentService.Gate)
//
// Its parts:
//
//   - [Lexicon]: word lists as data, one YAML file per language and
//     category (self-harm, violence, medical emergencies, trafficking,
//     fraud, requests for a person, control words), with whole-message,
//     phrase and fragment entries. Files are validated at load with file
//     and line in every error; [Lexicons] reloads them without a restart
//     and keeps the old lexicon when an edit is wrong. Messages and entries
//     go through the same normaliser (internal/textnorm), and all entries
//     are matched in one pass over the message. [SeedLexicons] are
//     embedded seeds in nine languages, marked status: seed until
//     protection staff and native speakers have reviewed them.
//   - [Screen] runs first, before consent, on every message: urgent
//     signals open or raise a ticket, page on-call when the line is closed
//     or the case critical, send the safety acknowledgement (exempt from
//     consent) and suspend the bot for the conversation. Urgent beats
//     opt-out. Voice notes, images and documents the bot cannot read, and
//     requests for a person, go to staff at Elevated or higher.
//   - [Router] runs after consent: ordered, deterministic routes to an FAQ
//     answer, a handler such as a flow, or the human queue, with an
//     optional [Classifier] that can only raise priority.
//   - [Queue] is the human queue over storage.Tickets: priority first,
//     then first-response due time, then arrival; staff pull [Queue.Next];
//     priority is sticky and only a named staff member may lower it
//     (audited); SLAs run on [BusinessHours] for routine work and around
//     the clock for urgent cases; [Queue.Tick] fires escalation steps and
//     breach events, which carry ids and priority only.
//
// Every inbound message gets exactly one response path ([Path]): a bot
// answer, an acknowledgement from the queue, the safety message, or — when
// the conversation is already with staff and was acknowledged — joining
// it. Nothing here logs message text, names or phone numbers.
package triage
