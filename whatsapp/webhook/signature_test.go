package webhook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

const (
	secret    = "app-secret-current"
	oldSecret = "app-secret-previous"
)

// escapedBody is a text message in Arabic and French, encoded as Meta sends
// it: non-ASCII escaped.
func escapedBody(t testing.TB) []byte {
	t.Helper()
	b := webhooktest.TextPayload(webhooktest.TextMessage{
		Line: "106540352242922", From: "16505551234", ProfileName: "Amélie",
		ID: "wamid.escaped", Body: "مرحبا، أين المكتب؟ Où est le bureau ? 🙏",
		Time: time.Unix(1749416383, 0),
	})
	if !bytes.Contains(b, []byte(`\u0645`)) || bytes.ContainsRune(b, 'é') {
		t.Fatalf("payload is not escaped like Meta's: %s", b)
	}
	return b
}

func TestVerifySignatureRawVersusReencoded(t *testing.T) {
	t.Parallel()
	raw := escapedBody(t)
	sig := webhooktest.Sign(raw, secret)
	if err := webhook.VerifySignature(raw, sig, secret); err != nil {
		t.Fatalf("raw bytes: %v", err)
	}
	// What a framework that decodes and re-encodes the body would verify.
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	reencoded, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(raw, reencoded) {
		t.Fatal("re-encoding did not change the bytes; the test proves nothing")
	}
	if err := webhook.VerifySignature(reencoded, sig, secret); !errors.Is(err, webhook.ErrInvalidSignature) {
		t.Fatalf("re-encoded body: %v, want ErrInvalidSignature", err)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	good := webhooktest.Sign(body, secret)
	hexPart := strings.TrimPrefix(good, "sha256=")
	tests := []struct {
		name    string
		body    []byte
		header  string
		secrets []string
		want    error
	}{
		{"valid", body, good, []string{secret}, nil},
		{"upper-case hex and prefix", body, "SHA256=" + strings.ToUpper(hexPart), []string{secret}, nil},
		{"surrounding spaces", body, " " + good + " ", []string{secret}, nil},
		{"rotation: old secret still accepted", body, webhooktest.Sign(body, oldSecret), []string{secret, oldSecret}, nil},
		{"rotation: new secret accepted", body, good, []string{oldSecret, secret}, nil},
		{"rotation over: old secret refused", body, webhooktest.Sign(body, oldSecret), []string{secret}, webhook.ErrInvalidSignature},
		{"wrong secret", body, webhooktest.Sign(body, "attacker"), []string{secret}, webhook.ErrInvalidSignature},
		{"body changed", append(bytes.Clone(body), ' '), good, []string{secret}, webhook.ErrInvalidSignature},
		{"empty body signed", nil, webhooktest.Sign(nil, secret), []string{secret}, nil},
		{"missing header", body, "", []string{secret}, webhook.ErrMissingSignature},
		{"sha1 scheme", body, "sha1=" + hexPart[:40], []string{secret}, webhook.ErrMalformedSignature},
		{"no prefix", body, hexPart, []string{secret}, webhook.ErrMalformedSignature},
		{"not hex", body, "sha256=" + strings.Repeat("zz", 32), []string{secret}, webhook.ErrMalformedSignature},
		{"too short", body, good[:len(good)-2], []string{secret}, webhook.ErrMalformedSignature},
		{"too long", body, good + "00", []string{secret}, webhook.ErrMalformedSignature},
		{"no secrets", body, good, nil, webhook.ErrNoSecret},
		{"an empty secret", body, good, []string{secret, ""}, webhook.ErrNoSecret},
		{"no secrets and no header", body, "", nil, webhook.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.VerifySignature(tt.body, tt.header, tt.secrets...)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("VerifySignature() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignatureErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	errs := []error{webhook.ErrNoSecret, webhook.ErrMissingSignature, webhook.ErrMalformedSignature, webhook.ErrInvalidSignature}
	for i, a := range errs {
		for j, b := range errs {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
}
