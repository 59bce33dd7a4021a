package whatsapptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// WithAppSecret makes the server require appsecret_proof on every Graph
// API call, as Meta does for apps with "Require App Secret" on: a call
// without it, or with a wrong one, fails with error 100.
func WithAppSecret(appSecret string) Option { return func(c *config) { c.appSecret = appSecret } }

// checkProof answers the error and returns false when the server requires
// appsecret_proof and r lacks a valid one.
func (s *Server) checkProof(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.appSecret == "" || strings.HasPrefix(r.URL.Path, "/media-files/") { // downloads are signed links
		return true
	}
	got := r.URL.Query().Get("appsecret_proof")
	if got == "" {
		writeError(w, Fault{Code: 100, Message: "API calls from the server require an appsecret_proof argument"})
		return false
	}
	m := hmac.New(sha256.New, []byte(s.cfg.appSecret))
	m.Write([]byte(s.cfg.token))
	want := hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(got), []byte(want)) {
		writeError(w, Fault{Code: 100, Message: "Invalid appsecret_proof provided in the API argument"})
		return false
	}
	return true
}
