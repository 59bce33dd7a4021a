package redact

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestIdentifier(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"123", "***"},
		{"16505551234", "***34"},
		{"US.13491208655302741918", "***18"},
		{"٠١٢٣٤٥٦٧٨٩", "***٨٩"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := Identifier(tt.in); got != tt.want {
				t.Fatalf("Identifier(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSecretAndText(t *testing.T) {
	t.Parallel()
	if got := Secret("EAAG-token"); got != "[redacted]" {
		t.Fatalf("Secret = %q", got)
	}
	if got := Secret(""); got != "" {
		t.Fatalf("Secret(empty) = %q", got)
	}
	if got := Text("مرحبا"); got != "[text:5 chars]" {
		t.Fatalf("Text = %q", got)
	}
}

func TestTypesMaskThemselves(t *testing.T) {
	t.Parallel()
	p := Phone("+16505551234")
	s := SecretString("EAAGsecret")
	for _, out := range []string{fmt.Sprint(p), fmt.Sprintf("%s %v", p, s), p.LogValue().String(), s.LogValue().String()} {
		if strings.Contains(out, "6505551234") || strings.Contains(out, "EAAGsecret") {
			t.Fatalf("leaked: %q", out)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"no digits here", "no digits here"},
		{"call +1 650 555 1234 now", "call ***34 now"},
		{"wa_id 16505551234", "wa_id ***34"},
		{"code 131047", "code 131047"},
		{"2026-11-22", "2026-11-22"},
		{"ack wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA= failed", "ack msg#cd3f8a33a571 failed"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := Scrub(tt.in); got != tt.want {
				t.Fatalf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestReplaceAttr(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: ReplaceAttr}))
	log.Info("sent", "token", "EAAGsecret", "to", "16505551234", "body", "I need help",
		"note", "from 447700900123", "code", 131047, "phone", Phone("16505551234"),
		"error", fmt.Errorf("send to +33 6 12 34 56 78 failed"), "ids", []string{"4915112345678"})
	out := buf.String()
	for _, leak := range []string{"EAAGsecret", "16505551234", "I need help", "447700900123", "12 34 56 78", "4915112345678"} {
		if strings.Contains(out, leak) {
			t.Fatalf("log line leaks %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, "code=131047") {
		t.Fatalf("log line lost a harmless attribute: %s", out)
	}
}

func TestMessageID(t *testing.T) {
	t.Parallel()
	// A real WhatsApp id: its base64 holds the number 16503879439.
	const wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
	got := MessageID(wamid)
	if strings.Contains(got, "HBgL") || !strings.HasPrefix(got, "msg#") || len(got) != len("msg#")+12 {
		t.Fatalf("MessageID(%q) = %q", wamid, got)
	}
	if got != MessageID(wamid) || got == MessageID(wamid+"x") {
		t.Fatal("MessageID must be stable and tell ids apart")
	}
	if MessageID("") != "" {
		t.Fatal("empty id should stay empty")
	}
}
