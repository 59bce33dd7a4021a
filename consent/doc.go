// Package consent tells people what happens to their data before it
// happens, and lets them leave in one word.
//
// A [Service] keeps a line's consent ledger in a storage.Store and enforces
// it at both ends of the conversation:
//
//   - [Service.Gate] is the inbound middleware. A person without valid
//     consent for the core purpose gets the privacy notice, with Accept,
//     Decline and Listen (audio) choices, and nothing else: nothing they send
//     is stored or passed on. Accept continues to the next handler; Decline
//     records only the minimum (keyed hash, state, notice version, time) and
//     says how else to get help. A material notice change asks again on the
//     person's next message; one notice is shown at most once per prompt
//     window.
//   - [Service.Guard] decorates the line's chat.Sender. It reads the purpose
//     of each send from chat.IntentFrom and refuses, with a [*Refusal]
//     matching [ErrNotPermitted], anything the person has not agreed to. The
//     notice, the confirmation of a withdrawal or rights request, the answer
//     to a decline and a safety acknowledgement (recorded under vital
//     interest) pass.
//
// Control words work at any time, in every configured language, when the
// whole message equals one after normalisation: STOP withdraws (before the
// next outbound message, ending open sessions and telling every
// [Canceller] to drop pending sends, with one confirmation), DELETE erases
// through storage.Store.Erase unless a documented [Hold] delays it, and MY
// DATA records a request for an [Export], which goes to staff, never into
// the chat. The seed lists ([DefaultKeywords]) cover English, French,
// Spanish, Portuguese, Arabic, Farsi, Dari, Ukrainian and Swahili and must
// be reviewed by native speakers before a line relies on them.
//
// [Notices] are versioned per language and loaded from YAML files an
// organisation edits (examples/notices holds English, Arabic, Spanish and
// French ones to start from); a bad file is refused with its file, line and
// field. Every answer records the SHA-256 of exactly what was shown.
//
// The ledger is append-only: each event (granted, declined, withdrawn,
// reconsent_requested, reconfirmed, expired, erasure_requested, erased,
// hold_placed, hold_released, export_requested, exported, request_extended,
// objected, restricted, vital_interest)
// carries the notice version and hash, language, method, evidence (for a
// message, the SHA-256 of its id, never the id: the ledger outlives an
// erasure, and a WhatsApp id spells the number), actor and legal basis, per
// purpose, and is hash-chained to the one before it
// ([Service.Verify]). The current state is a projection. Optional purposes
// (follow-up, feedback, research, referral) are granted separately, never
// bundled with the core service and never gating it; any menu can ask for
// one with the choice ids "consent.grant.<purpose>" and
// "consent.refuse.<purpose>".
//
// Staff tools use the same Service: [Service.Export], [Service.Erase],
// [Service.PlaceHold] and [Service.ReleaseHold], [Service.Object] and
// [Service.Restrict], and [Service.OpenRequests], which lists the copies and
// erasures people asked for with their one-month due dates
// ([Service.ExtendRequest] adds the two months GDPR allows). A request for a
// copy keeps the person reachable until it is answered, even one made after
// their data was erased; nothing of theirs is forgotten while it is open,
// and once it is answered a person who has not agreed since is left as
// before, on a ledger that names nobody. An erasure ends it.
// [Service.SetNotices] publishes edited notices without a restart.
//
// [Service.Sweep] applies what time and notice changes imply: people whose
// consent no longer covers a material notice move to reconsent_required,
// consents past their time limit expire, and the minimal records of people
// who declined are forgotten after the retention period (90 days by
// default). [Service.Receipt] renders a Kantara consent receipt (v1.1) for
// the organisation's records; people can ask for a short receipt in the chat
// (RECEIPT).
//
// The Service logs nothing personal, takes its clock and id source as
// options, and keeps no state of its own, so several replicas may share one
// store.
package consent
