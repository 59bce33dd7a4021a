// Package broadcast sends bulk messages to the people who agreed to them:
// paced below the line's limits, resumable after a crash without sending
// anyone a message twice, and tracked by delivery statuses.
//
// A campaign (Spec) is an approved template, or free text for the people
// inside their 24-hour window, with a segment (contacts filtered by language,
// fields, or a list) and the consent purpose it serves. Runner.Start
// snapshots the eligible people of the segment into storage.Broadcasts, each
// with their template parameters; Runner.Run sends.
//
// The guarantees:
//
//   - Only people eligible for the campaign's purpose are sent to: at the
//     snapshot and again right before each send, so a person who withdraws
//     during the campaign is skipped. The default Eligibility reads the
//     consent ledger; every send carries the purpose as its chat.Intent,
//     so a consent guard around the Sender sees it too.
//   - Nobody is sent to twice. Each recipient moves from queued to sending
//     before the request and to sent, failed or unknown after it. After a
//     crash, Run finds the recipients left in sending and records them as
//     unknown (the message may have gone out), never sending again.
//   - Sends are paced: a share of the line's throughput (80 % by default,
//     leaving room for replies), the business's daily messaging limit
//     (distinct people outside their window in a moving 24 hours), and
//     holding back after a throughput error. A Classifier, supplied by the
//     line for its channel, says which errors are retried with backoff,
//     which stop for one recipient with the reason recorded, and which
//     pause the whole campaign. Many failures in a row for the same reason
//     (a missing template) pause it too (WithFailureLimit).
//   - Progress (queued, sent, delivered, read, failed by reason) can be read
//     at any time, from any process sharing the store. Pause, Resume and
//     Cancel work across processes too. Runner.HandleStatus, chained after
//     chat.RecordStatus in the line's status handler, moves recipients
//     forward as delivery statuses arrive.
//
// The package knows nothing of WhatsApp: the line passes a chat.Sender (for
// WhatsApp a whatsapp.Channel) and a Classifier that reads the channel's
// errors. It logs campaign ids, positions and reason codes, never a number,
// a name or a message.
package broadcast
