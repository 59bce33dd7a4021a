package webhook_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/impactchat/impactchat/whatsapp/webhook"
)

// An unsigned client that announces a body of 3.5 MB and sends 10 bytes
// must not make the handler reserve the 3.5 MB before the bytes arrive and
// the signature is checked (per request, for as long as the server's read
// timeout lets it dawdle): only a small announced length sizes the buffer.
func TestBodyBufferNotSizedByUnverifiedLength(t *testing.T) {
	h, err := webhook.NewHandler(webhook.Config{Secrets: []string{"s"}, VerifyToken: "vt"}, newMemSink())
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(bytes.NewReader([]byte(`{"a":1}   `))))
	r.ContentLength = webhook.DefaultMaxBodyBytes
	r.Header.Set("X-Hub-Signature-256", "sha256=0000000000000000000000000000000000000000000000000000000000000000")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	runtime.ReadMemStats(&after)
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("status %d, allocated %d bytes for a 10-byte body", w.Code, got)
	if got > 1<<20 {
		t.Errorf("handler allocated %d bytes for an unsigned 10-byte body that announced Content-Length %d", got, r.ContentLength)
	}
}
