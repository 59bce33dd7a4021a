package whatsapp_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// FuzzFlowEndpoint posts arbitrary, correctly signed bodies: the endpoint
// must never panic, and must answer 200 only to a body that decrypts.
func FuzzFlowEndpoint(f *testing.F) {
	k, _ := testFlowKeys(f)
	e, err := whatsapp.NewFlowEndpoint(k, flowSecret, bookingFlow(nil))
	if err != nil {
		f.Fatal(err)
	}
	call, err := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, whatsapp.FlowRequest{Version: "3.0", Action: "ping"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(call.Body)
	f.Add([]byte(`{"encrypted_flow_data":"AAAA","encrypted_aes_key":"AAAA","initial_vector":"AAAAAAAAAAAAAAAAAAAAAA=="}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := hmac.New(sha256.New, []byte(flowSecret))
		m.Write(body)
		req := httptest.NewRequest(http.MethodPost, "/flows", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			// Only the seed's own ciphertext decrypts (a valid GCM tag cannot
			// be forged), so the answer is sealed for the seed's key.
			if _, err := call.Decrypt(rec.Body.Bytes()); err != nil {
				t.Fatalf("200 with an answer the caller cannot read: %v", err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, whatsapp.FlowStatusKeyMismatch:
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
