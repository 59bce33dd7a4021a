// Package webhooktest helps test code that receives WhatsApp webhooks: it
// signs payloads the way Meta does and builds ready-to-serve requests.
package webhooktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
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
