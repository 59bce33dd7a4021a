// Package webhook receives WhatsApp Cloud API webhooks: it verifies them,
// answers the subscription handshake, parses every payload Meta sends, and
// converts inbound messages and delivery statuses to chat events.
//
// # The handler
//
// [NewHandler] returns an http.Handler to mount on any path:
//
//	h, err := webhook.NewHandler(webhook.Config{
//		Secrets:     []string{os.Getenv("WHATSAPP_APP_SECRET")},
//		VerifyToken: os.Getenv("WHATSAPP_VERIFY_TOKEN"),
//		Logger:      logger,
//	}, server) // a *chat.Server, or any Sink
//	mux.Handle("/webhook", h)
//
// For each POST it reads the body once, bounded by Config.MaxBodyBytes,
// verifies X-Hub-Signature-256 over those exact bytes, parses them, and
// hands every message and status of the delivery to [Sink].Accept in one
// call. It answers 200 only once Accept has returned nil, that is once the
// events are durable; if Accept fails it answers 503 and Meta delivers the
// same payload again, for up to seven days. Deliveries are at least once:
// the sink deduplicates by chat.Event.Key (the message id for messages, the
// message id and state for statuses). Meta's signature carries no time, so
// a captured delivery can be replayed; Config.MaxEventAge acknowledges
// without handling the events older than a horizon, beyond which the sink
// may have forgotten their keys.
//
// Set ReadHeaderTimeout, ReadTimeout and WriteTimeout on the http.Server
// that serves it: the handler bounds the size of a body, the server bounds
// the time a client may take to send it. Meta expects an answer within a
// few seconds and retries otherwise.
//
// The answers are: 200 accepted; 401 signature missing, malformed or wrong;
// 413 body too large; 400 a correctly signed body that is not a JSON
// object; 403 a delivery naming a line its app is not configured for (see
// [App]); 503 the sink or Config.OnNotification failed; 405 any method but
// GET and POST. GET answers the handshake: 200 with hub.challenge as
// text/plain when hub.mode is "subscribe" and hub.verify_token matches
// (compared in constant time), 403 otherwise.
//
// The handler fails closed: without a secret, with an empty secret or
// without a verify token, NewHandler returns an error; there is no way to
// turn verification off. Its log lines carry ids, counts, codes and
// reasons, never a phone number, a profile name or message text.
//
// # Verifying and parsing yourself
//
// [VerifySignature] and [Parse] are the two steps of the handler, for code
// that brings its own HTTP stack. Always verify the raw bytes as received:
// Meta escapes non-ASCII characters in what it signs, so a body decoded and
// encoded again does not verify, and only messages with accents or emoji
// would fail.
//
// Parse is lenient where Meta's payloads vary: identifiers, timestamps and
// prices decode whether they arrive as strings or numbers; fields and
// message types this package does not know are kept (every [Change],
// [Message] and [Status] holds its Raw JSON) and never cause an error; and a
// member of the wrong JSON type spoils only that member, which
// [Notification.Problems] reports. Parse fails only for a body that is not a
// JSON object.
//
// # Events and everything else
//
// [Notification.Events] converts every inbound message and delivery status
// of every entry and change to a chat.Event. Kinds the chat vocabulary has
// no word for (flow replies, edits, revokes, unsupported types) arrive as
// chat.KindUnknown with the original in Raw. Everything else a line may
// subscribe to (template status, quality and category updates, account and
// phone number quality updates, user preferences about marketing messages,
// message echoes, errors reported for a whole line) is reached through
// [Notification.Changes] and a type switch on [Change].Value, or in the
// handler through Config.OnNotification.
//
// The package webhooktest signs payloads and builds requests as Meta does,
// for tests of code that receives webhooks.
package webhook
