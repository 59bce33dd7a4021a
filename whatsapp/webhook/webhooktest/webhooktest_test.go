package webhooktest_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

func TestEscapeLikeMeta(t *testing.T) {
	t.Parallel()
	in := []byte(`{"a":"é/مرحبا 🙏 x"}`)
	got := webhooktest.EscapeLikeMeta(in)
	want := `{"a":"\u00e9\/\u0645\u0631\u062d\u0628\u0627 \ud83d\ude4f x"}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	var a, b map[string]string
	if json.Unmarshal(in, &a) != nil || json.Unmarshal(got, &b) != nil || a["a"] != b["a"] {
		t.Fatalf("meaning changed: %q vs %q", a["a"], b["a"])
	}
}

func TestPayloadsAreJSON(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{
		webhooktest.TextPayload(webhooktest.TextMessage{Line: "1", From: "2", ID: "wamid.x", Body: "ça va ?", Time: time.Unix(1, 0)}),
		webhooktest.StatusPayload(webhooktest.Status{Line: "1", MessageID: "wamid.y", RecipientID: "2", State: "failed", ErrorCode: 131047, ErrorTitle: "Re-engagement message"}),
	} {
		if !json.Valid(b) || bytes.ContainsAny(b, "ç") {
			t.Fatalf("not Meta-shaped JSON: %s", b)
		}
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	r := webhooktest.NewRequest([]byte(`{}`), "s")
	if r.Method != "POST" || r.Header.Get(webhooktest.SignatureHeader) != webhooktest.Sign([]byte(`{}`), "s") {
		t.Fatalf("request = %s %v", r.Method, r.Header)
	}
	g := webhooktest.NewHandshakeRequest("tok", "123")
	q := g.URL.Query()
	if g.Method != "GET" || q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != "tok" || q.Get("hub.challenge") != "123" {
		t.Fatalf("handshake = %s %s", g.Method, g.URL)
	}
}
