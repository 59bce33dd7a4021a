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
//     message, so a whole line can run against the fake;
//   - it holds groups (Groups, GroupByRequest, JoinGroup for a person
//     opening the invite link): invite links, participants, join requests
//     and sends with recipient_type group (no window or pair limit there,
//     interactive messages refused with 131009);
//   - it keeps business profiles, QR codes, resumable uploads, number
//     registration (PIN mismatch 133005, 10 registrations in 72 h then
//     133016), verification codes (VerificationCode; a wrong one is 136025),
//     display name requests and new numbers;
//   - it keeps flows (draft, published, deprecated; uploaded JSON is
//     reviewed and a flow with errors cannot be published: 139001) and the
//     flows public key; NewFlowCall encrypts a request to a Flows
//     data-exchange endpoint as the WhatsApp client does;
//   - template edits send the template back to review, and
//     TemplateStatusPayload builds the status webhook Meta would send;
//   - analytics are counted from the messages it accepted;
//   - WithAppSecret makes it require appsecret_proof.
//
// Client returns an *http.Client that reaches the server in process. It is
// faster than the network and works inside testing/synctest bubbles, where
// the limits and the window follow fake time. Create the Server outside the
// bubble: its listener would otherwise keep the bubble from idling.
package whatsapptest
