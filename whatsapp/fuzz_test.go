package whatsapp_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
)

// seedResponses adds Meta's recorded response bodies, when present, to a
// fuzz corpus.
func seedResponses(f *testing.F, add func(body []byte)) {
	dir := os.Getenv("IMPACTCHAT_CONFORMANCE_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "conformance")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "send"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "response_") {
			if b, err := os.ReadFile(filepath.Join(dir, "send", e.Name())); err == nil {
				add(b)
			}
		}
	}
	add([]byte(`{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"fbtrace_id":"A"}}`))
	add([]byte(`<html>502 Bad Gateway</html>`))
	add([]byte(`{"error":null}`))
}

// FuzzDecodeError: any error body decodes without panicking, and the
// error string never carries a phone number from it.
func FuzzDecodeError(f *testing.F) {
	seedResponses(f, func(b []byte) { f.Add(400, b) })
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := whatsapp.DecodeError(status, body)
		s := e.Error()
		if strings.Contains(string(body), "16505551234") && strings.Contains(s, "16505551234") {
			t.Fatalf("error string holds a phone number: %s", s)
		}
		_ = errors.Is(e, whatsapp.ErrRateLimited)
		_ = whatsapp.Retryable(e)
	})
}

// FuzzSendResponse: any 200 answer to a send either yields a message id or
// an error, never a panic or an empty success.
func FuzzSendResponse(f *testing.F) {
	seedResponses(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		c, _ := captureClient(t, string(body))
		r, err := c.Messages.Send(t.Context(), phoneID, whatsapp.Text{Envelope: to(meta), Body: "hi"})
		if err == nil && (r == nil || r.MessageID == "") {
			t.Fatalf("success without a message id for %q", body)
		}
	})
}
