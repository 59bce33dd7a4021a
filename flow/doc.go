// Package flow runs playbooks: conversations written in YAML that
// communities can read, remix, translate and test without writing Go.
//
// # Playbooks
//
// A playbook is one YAML file: metadata, then a list of nodes. Each node does
// one thing and names the node that comes next.
//
//	playbook: refugee-info          # id: letters, digits, - and _
//	version: 1                      # raise it with every published change
//	title: Refugee information line
//	author: ...
//	licence: CC-BY-SA-4.0
//	languages: [en, es, ar]         # the first is the default
//	fields: [city]                  # contact fields it reads without asking
//	consent: {purposes: [core], templates: []}
//	timezone: America/Guayaquil     # for branches on hours
//	media_base: https://media.example.org/refugee-info/   # optional
//	start: welcome                  # default: the first node
//	menu: menu                      # where "menu" leads; default: start
//	keywords: {menu: {es: [ayuda]}, back: {en: [return]}}
//	messages: {retry: {en: ...}, retry_text: {en: ...}}   # replace the re-prompts
//	nodes:
//	  - id: welcome
//	    say: {en: Welcome {{name|friend}}, es: ..., ar: ...}
//	    media: {ar: {audio: media/welcome-ar.ogg}}
//	    next: menu
//
// The node kinds:
//
//   - say: a message (per language), with optional media per language (audio
//     for people who cannot read, image, document, video); then next.
//   - ask with choices: a question and up to 10 options (id, title, optional
//     description and keywords, optional next); channels show up to 3 as
//     buttons and more as a list. save: stores the chosen option id in a
//     contact field; save: language changes the conversation's language.
//   - ask without choices: a free-text question; save: stores the answer.
//   - save: writes value: (a template) or the last answer to a contact field.
//   - branch: a list of cases tried in order: answer: (the last answer is one
//     of), keyword: (the last answer contains one of the words), field: with
//     equals: or empty:, or hours: "mon-fri 09:00-17:00"; the last case is
//     "- else: node".
//   - handoff: puts the person in the human queue with a priority (routine,
//     elevated, urgent, critical) and a reason label; next is optional.
//   - start: starts another playbook.
//   - end: ends the conversation, with an optional goodbye.
//
// Text may use contact fields: {{name}}, {{city|your city}} (with a fallback)
// and {{answer}} (the last answer). Nothing else: no expressions, no markup;
// values are inserted as plain text and clipped.
//
// # Remixing
//
// A playbook that says "extend: refugee-info.yaml" starts from that file and
// writes only its differences: metadata it gives replaces upstream's; a node
// with an upstream id amends it (a text given replaces that language only,
// media replace that language's, choices are matched by id, and "remove:
// true" drops a node or a choice, which must exist upstream); new nodes are
// added. Narrowing languages
// drops the other translations.
//
// # Validation
//
// [Validate] reports every problem with file:line:column, what is wrong and
// how to fix it: unknown keys and node kinds, links to missing nodes,
// unreachable nodes, loops without a question, missing translations,
// WhatsApp's limits (button titles of 20 characters, 3 buttons or 10 list
// rows with titles of 24 and descriptions of 72, interactive bodies of
// 1024), missing media files, bad templates, hours and priorities.
// [NewLibrary] refuses invalid playbooks, so a line does not start with one.
//
// # The engine
//
// [Engine.Step] is a pure function of (session, environment, input): it
// returns the next [Session] and the [Event] values the host carries out
// (messages, media, fields, hand-offs). It does no I/O, reads the time from
// [Env], and bounds the nodes one input may pass through. Sessions encode to
// a few hundred bytes ([Session.MarshalBinary]) and carry the playbook
// version they started on: after an update they continue on that version
// while the library still holds it, and otherwise move to the node with the
// same id in the newest version (or start again when it is gone).
//
// Wrong input never dead-ends: a question is asked again with a short
// explanation, options can be chosen by tap, number (Arabic-Indic digits
// too), title or keyword, and "menu" and "back" work everywhere.
//
// # The Runner
//
// [Runner] is the chat.Handler around the engine: it loads the person's
// session from storage.Sessions, steps, saves with compare-and-swap
// (stepping again when another writer won), saves fields to the contact,
// hands off through the [Handoff] interface, and replies through the
// chat.Replier with each message's consent purpose in its chat.Intent. When
// any of that fails the session is put back, so the runtime's retry steps the
// message again; should the process stop before it can, the saved session
// keeps where the person was ([Session.Redo]) until their next message, and a
// redelivery is stepped again from there. After a hand-off the playbook ends. While staff own the
// conversation the bot should not talk over them: the host routes the
// person's messages to staff, or its Handoff also implements [HandoffStatus]
// and the Runner stays silent while the case is open.
//
// The flowtest subpackage runs playbooks in memory for tests and for the
// playbook command (examples/playbook), which lints playbooks, lists missing
// translations and lets authors chat with a playbook in a terminal.
package flow
