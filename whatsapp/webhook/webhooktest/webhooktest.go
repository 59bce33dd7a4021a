package webhooktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// SignatureHeader is the header Meta puts its signature in.
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the X-Hub-Signature-256 value for body under the app secret:
// "sha256=" followed by the hex HMAC-SHA256 of the exact bytes.
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// NewRequest returns a POST request to /webhook carrying body, signed with
// secret, as Meta would send it. Serve it with an http.Handler in a test.
func NewRequest(body []byte, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, Sign(body, secret))
	return r
}

// NewHandshakeRequest returns the GET request Meta sends to verify a
// subscription: hub.mode=subscribe with the verify token and a challenge
// the endpoint must echo.
func NewHandshakeRequest(verifyToken, challenge string) *http.Request {
	q := url.Values{}
	q.Set("hub.mode", "subscribe")
	q.Set("hub.verify_token", verifyToken)
	q.Set("hub.challenge", challenge)
	return httptest.NewRequest(http.MethodGet, "/webhook?"+q.Encode(), nil)
}

// TextMessage is an inbound text message for TextPayload.
type TextMessage struct {
	Line        string    // the business phone number id
	From        string    // the person's phone number
	ProfileName string    // the name the person set in the app
	ID          string    // the message id (wamid)
	Body        string    // the text
	Time        time.Time // when it was sent
}

// TextPayload returns the webhook body Meta sends for one inbound text
// message, encoded as Meta encodes it: non-ASCII characters and slashes
// escaped, so that tests exercise signatures over escaped bytes.
func TextPayload(m TextMessage) []byte {
	type obj = map[string]any
	v := obj{
		"object": "whatsapp_business_account",
		"entry": []any{obj{
			"id": "102290129340398",
			"changes": []any{obj{
				"field": "messages",
				"value": obj{
					"messaging_product": "whatsapp",
					"metadata":          obj{"display_phone_number": "15550783881", "phone_number_id": m.Line},
					"contacts":          []any{obj{"profile": obj{"name": m.ProfileName}, "wa_id": m.From}},
					"messages": []any{obj{
						"from":      m.From,
						"id":        m.ID,
						"timestamp": strconv.FormatInt(m.Time.Unix(), 10),
						"type":      "text",
						"text":      obj{"body": m.Body},
					}},
				},
			}},
		}},
	}
	return encode(v)
}

// Status is a delivery status for StatusPayload.
type Status struct {
	Line        string    // the business phone number id
	MessageID   string    // the id of the message the line sent
	RecipientID string    // the person's phone number
	State       string    // "sent", "delivered", "read", "played" or "failed"
	Time        time.Time // when it happened
	Callback    string    // biz_opaque_callback_data, if the send had one
	ErrorCode   int       // for "failed"
	ErrorTitle  string    // for "failed"
}

// StatusPayload returns the webhook body Meta sends for one delivery
// status, encoded as Meta encodes it.
func StatusPayload(s Status) []byte {
	type obj = map[string]any
	st := obj{
		"id":           s.MessageID,
		"status":       s.State,
		"timestamp":    strconv.FormatInt(s.Time.Unix(), 10),
		"recipient_id": s.RecipientID,
	}
	if s.Callback != "" {
		st["biz_opaque_callback_data"] = s.Callback
	}
	if s.ErrorCode != 0 || s.ErrorTitle != "" {
		st["errors"] = []any{obj{"code": s.ErrorCode, "title": s.ErrorTitle, "message": s.ErrorTitle}}
	}
	return encode(obj{
		"object": "whatsapp_business_account",
		"entry": []any{obj{
			"id": "102290129340398",
			"changes": []any{obj{
				"field": "messages",
				"value": obj{
					"messaging_product": "whatsapp",
					"metadata":          obj{"display_phone_number": "15550783881", "phone_number_id": s.Line},
					"statuses":          []any{st},
				},
			}},
		}},
	})
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings and numbers always encode
	}
	return EscapeLikeMeta(b)
}

// EscapeLikeMeta rewrites a JSON document the way Meta encodes webhook
// bodies: every non-ASCII character as a \uXXXX escape (surrogate pairs
// beyond the Basic Multilingual Plane) and "/" as "\/". Both only occur
// inside strings, so the document means the same.
func EscapeLikeMeta(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == '/':
			out.WriteString(`\/`)
		case r < utf8.RuneSelf:
			out.WriteByte(byte(r))
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[size:]
	}
	return out.Bytes()
}
