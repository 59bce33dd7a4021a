// Package whatsapp is a typed client for the WhatsApp Business Cloud API
// and Channel, the chat.Sender that renders the channel-neutral chat
// vocabulary as WhatsApp messages.
//
// # Client
//
// New takes the access token and options (base URL, API version, HTTP
// client, logger, clock, rate limits, retry policy) and returns a Client
// with small services:
//
//   - Messages: Send any Message, MarkRead (with a typing indicator).
//   - Media: Upload (MIME type and size checked against Meta's table),
//     URL, Download (bounded, SHA-256 checked, a stale URL looked up
//     again once) and Delete.
//   - Templates: List (an iterator over pages), Get, Create, Edit, Delete,
//     and Sync/KeepSynced into a TemplateCache (see Templates below).
//   - PhoneNumbers: Get (quality rating, throughput, messaging limit), List,
//     Create; RequestCode and VerifyCode; Register (with the two-step PIN
//     and an optional data localization region) and Deregister;
//     SetTwoStepPIN; DisplayNameStatus and RequestDisplayName.
//   - Groups: Create (asynchronous: the group id arrives by webhook), Get,
//     List, Update, Delete, Participants, RemoveParticipants, InviteLink,
//     ResetInviteLink, JoinRequests, ApproveJoinRequests,
//     RejectJoinRequests.
//   - Flows: List, Create, UpdateJSON (Meta's validation errors come back),
//     UpdateMetadata, Get, Preview, Assets, Metrics (endpoint health),
//     Publish, Deprecate, Delete,
//     SetPublicKey and PublicKey for the data-exchange endpoint's key.
//   - Profile: Get and Update the business profile (about, address,
//     description, email, websites, vertical, picture).
//   - Uploads: resumable upload sessions, whose handle sets the profile
//     picture.
//   - QRCodes: Create (with a PNG or SVG image), Get, List, Update, Delete.
//   - Analytics: Messaging (sent, delivered), Pricing (volume and cost by
//     category, type, country and number), Conversations (the old model),
//     Calls and Templates (sent, delivered, read, clicks), each over a
//     TimeRange by day, half hour or month.
//
// WithAppSecretProof adds appsecret_proof to every call, for apps that
// require it.
//
// NewRequest and Do reach endpoints the services do not model, with the
// same authentication, error decoding and retries.
//
// The token is kept out of logs, error strings and %v. Phone numbers never
// appear in the client's log lines or errors; text in Meta's error messages
// that looks like a phone number is masked.
//
// # Messages
//
// Message is a closed set of types, one per kind of message: Text, Image,
// Audio (Voice for voice notes), Video, Document, Sticker, TemplateMessage,
// Buttons, List, Flow, CTAURL, LocationRequest, Reaction, Location and
// Contacts. Each embeds an Envelope naming the recipient (To, a phone
// number; Recipient, a business-scoped user id; or Group, a group the
// business created), the message it replies to, and callback data echoed
// in status webhooks.
//
// Send validates a message against WhatsApp's content limits before any
// HTTP call: text 4096 characters, three reply buttons with titles of 20,
// list rows (ten in all) with titles of 24 and descriptions of 72, headers
// and footers of 60, template names, and so on (see the Max constants).
// Lengths are counted in characters, never bytes, so Arabic or Dari text
// gets the same room as English. A validation error names the field, the
// length and the limit, never the content, and matches ErrInvalid (which is
// chat.ErrInvalid).
//
// # Errors
//
// A failed call returns an *APIError carrying the HTTP status, Meta's code,
// subcode, type, message, details, fbtrace id and Retry-After. Branch on
// conditions with errors.Is:
//
//	ErrRateLimited      130429 throughput, 131056 pair, 4 app, 80007 WABA
//	ErrPairRateLimited  131056 (also ErrRateLimited)
//	ErrOutsideWindow    131047, or refused by Channel before sending
//	ErrUndeliverable    131026
//	ErrTemplate         132xxx, template not found
//	ErrAuth             0, 190
//	ErrPermission       3, 10, 200-299, 131005
//	ErrInvalidRequest   100, 131008, 131009, 131021, 135000
//	ErrUnavailable      1, 2, 131000, 131016, 131057, 133004; HTTP 5xx without a Graph error
//	ErrMedia            131014, 131052, 131053
//	ErrOptedOut         131050
//	ErrQuality          131048, 131049, 130472
//	ErrAccount          33, 368, 130403, 130497, 131031, 131037, 131042, 131045, 131063, 131064, 133010
//
// Retryable reports whether Meta advises trying again.
//
// # Pacing and retries
//
// Sends are paced per business number (80 messages/s by default, up to
// 1000 with WithRateLimit, spread evenly so no second holds more) and per
// recipient (Meta's pair rate limit: bursts of 45, then one every 6 s).
// Waits end when the context does. WithoutPacing turns this off.
//
// Only retryable errors are retried, with exponential backoff and jitter
// capped by RetryPolicy.MaxDelay, honouring Retry-After, and waiting 4^X
// seconds after a pair-rate error as Meta advises. A send that failed after
// the request may have reached Meta (a timeout, a reset connection) is not
// retried: the Cloud API has no idempotency key, and a retry could deliver
// the message twice, which for a safety alert or a consent notice is worse
// than an error the caller can see. Such failures match ErrAmbiguous; set
// RetryPolicy.RetryAmbiguous to retry them anyway. Reads and deletes are
// always safe to retry.
//
// # Channel
//
// Channel implements chat.Sender. It renders chat.Text (split at sentence
// or word boundaries when longer than 4096 characters, never inside a
// letter), chat.Choices (up to three short options as reply buttons, up to
// ten as a list, more refused with an error naming the limit), chat.Media,
// chat.Template, chat.Location, chat.Reaction, and chat.Native values that
// carry a whatsapp Message. The address's Line is the phone number id and
// its Contact the person's number (sent as +E.164) or business-scoped user
// id (containing a '.', sent as "recipient").
//
// Free-form messages are refused with ErrOutsideWindow, before any HTTP
// call, when the person's last message (from the caller's WindowSource) is
// 24 hours old or more; templates are always allowed. If the WindowSource
// fails, the send fails: the channel never assumes the window is open.
//
// # Groups and moderation
//
// A business number can create groups and post to them (Envelope.Group;
// Meta applies no customer service window to groups, and the fake refuses
// interactive messages there). GroupModerator runs a moderated group: its
// Middleware sends members' messages in the group (GroupOf reads the group
// of a chat.Message) to a questions handler, such as the human queue, with
// a Replier that answers in the group quoting the question; Answer and
// Alert post the moderator's answers and alerts to everyone. Package
// webhook reads the group_* webhook fields as GroupUpdate values.
//
// # Flows data exchange
//
// FlowEndpoint is the http.Handler of a WhatsApp Flows endpoint. It checks
// X-Hub-Signature-256 with the app secret before anything else (a missing
// or wrong one answers 432), unwraps the AES key with RSA-OAEP (SHA-256)
// and the private key (LoadFlowPrivateKey reads unencrypted PKCS#1 or
// PKCS#8 PEM), decrypts the request with AES-GCM and the given IV, and
// answers with the same key and the IV with every bit flipped, base64. A
// request the key cannot open answers 421, so the WhatsApp client fetches
// the public key again; a handler returning ErrFlowTokenInvalid answers
// 427; the health check ping is answered without the handler, and error
// notifications are acknowledged. whatsapptest.NewFlowCall encrypts
// requests as the WhatsApp client does.
//
// # Templates
//
// A TemplateCache holds a WABA's templates and their states. Sync fills it
// from the list endpoint; Apply records the status, quality and category
// changes that Meta announces by webhook (webhook.TemplateChangeOf converts
// them). A client built WithTemplateCache refuses, before any HTTP call, a
// template the cache knows to be paused, rejected or otherwise not
// approved, with a *TemplateStateError that names the template, its
// language and its state, and matches ErrTemplate.
//
// Package whatsapptest is a fake Graph API for tests of all of this.
package whatsapp
