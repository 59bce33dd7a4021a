package whatsapp_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// BenchmarkFlowEndpoint measures one data-exchange request through the
// endpoint: signature check, RSA-OAEP unwrap (2048-bit), AES-GCM decrypt,
// the handler, and the encrypted answer. The RSA private-key operation
// dominates.
func BenchmarkFlowEndpoint(b *testing.B) {
	k, _ := testFlowKeys(b)
	e, err := whatsapp.NewFlowEndpoint(k, flowSecret, bookingFlow(nil))
	if err != nil {
		b.Fatal(err)
	}
	call, err := whatsapptest.NewFlowCall(&k.PublicKey, flowSecret, whatsapp.FlowRequest{Version: "3.0", Action: "data_exchange",
		Screen: "APPOINTMENT", FlowToken: "tok", Data: json.RawMessage(`{"date":"2026-12-02"}`)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/flows", bytes.NewReader(call.Body))
		req.Header.Set("X-Hub-Signature-256", call.Signature)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkFlowEndpointBadSignature measures the refusal of a forged
// request, which must stay cheap: no RSA work is done before the
// signature is checked.
func BenchmarkFlowEndpointBadSignature(b *testing.B) {
	k, _ := testFlowKeys(b)
	e, err := whatsapp.NewFlowEndpoint(k, flowSecret, bookingFlow(nil))
	if err != nil {
		b.Fatal(err)
	}
	call, err := whatsapptest.NewFlowCall(&k.PublicKey, "forged", whatsapp.FlowRequest{Version: "3.0", Action: "ping"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/flows", bytes.NewReader(call.Body))
		req.Header.Set("X-Hub-Signature-256", call.Signature)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != whatsapp.FlowStatusBadSignature {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
