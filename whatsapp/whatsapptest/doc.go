// Package whatsapptest is a fake WhatsApp Cloud API (Graph API) for tests,
// in the spirit of net/http/httptest: start one with NewServer, point a
// whatsapp.Client at its URL (or use NewClient), and Close it when done.
//
// It behaves like Meta:
//
//   - it records every request (Requests) and decodes every accepted
//     message (Sent, WaitSent, and the WithOnSend callback, which a terminal
//     simulator can print from);
//   - it answers with success and error bodies shaped like Meta's real
//     ones, with the same error codes;
//   - it enforces content limits (text length, buttons, list rows...), the
//     24-hour customer service window (131047; inbound messages delivered
//     through the server open it, as does OpenWindow), the per-number
//     throughput (130429, default 80/s) and the pair rate limit (131056,
//     bursts of 45 then one per 6 s);
//   - it checks the bearer token (190 otherwise) and knows only its phone
//     numbers (DefaultPhoneNumberID unless WithPhoneNumber is given);
//   - it stores uploaded media and serves it back for download, and keeps
//     templates (WithTemplate, Create, List with paging, Get, Delete);
//     once any template is registered, sends must name an approved one
//     with the right number of parameters;
//   - Inject and FailNext add any error code, Retry-After or latency; an
//     Async fault (and WithWindowErrorsByWebhook) accepts the send and
//     reports the error later in a "failed" status webhook, as Meta often
//     does;
//   - DeliverMessage, DeliverText and DeliverStatus post signed webhooks
//     (X-Hub-Signature-256 under the app secret) to a webhook URL, with
//     payloads shaped like Meta's and non-ASCII escaped as Meta does;
//     WithStatusWebhooks sends sent/delivered statuses for every accepted
//     message, so a whole line can run against the fake.
//
// Client returns an *http.Client that reaches the server in process. It is
// faster than the network and works inside testing/synctest bubbles, where
// the limits and the window follow fake time. Create the Server outside the
// bubble: its listener would otherwise keep the bubble from idling.
package whatsapptest
