package whatsapptest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

const (
	line   = whatsapptest.DefaultPhoneNumberID
	person = "16505551234"
	secret = "app-secret"
)

func client(t *testing.T, srv *whatsapptest.Server, opts ...whatsapp.Option) *whatsapp.Client {
	t.Helper()
	c, err := srv.NewClient(append([]whatsapp.Option{whatsapp.WithoutPacing(), whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func text(to, body string) whatsapp.Text {
	return whatsapp.Text{Envelope: whatsapp.Envelope{To: to}, Body: body}
}

// receiver is a webhook endpoint that checks signatures like Meta's
// receivers must, and keeps the bodies it got.
type receiver struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	if req.Header.Get(webhooktest.SignatureHeader) != webhooktest.Sign(b, secret) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
}

func (r *receiver) got() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func newReceiver(t *testing.T) (*receiver, string) {
	rc := &receiver{}
	ts := httptest.NewServer(rc)
	t.Cleanup(ts.Close)
	return rc, ts.URL
}

func TestWindowIsEnforcedAndOpenedByInboundMessages(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer()
	defer srv.Close()
	c := client(t, srv)
	_, err := c.Messages.Send(t.Context(), line, text("+"+person, "hello"))
	if !errors.Is(err, whatsapp.ErrOutsideWindow) {
		t.Fatalf("err = %v, want 131047", err)
	}
	// Templates are always allowed.
	if _, err := c.Messages.Send(t.Context(), line, whatsapp.TemplateMessage{Envelope: whatsapp.Envelope{To: "+" + person}, Name: "hello_world", Language: "en_US"}); err != nil {
		t.Fatal(err)
	}
	rc, url := newReceiver(t)
	wamid, err := srv.DeliverText(t.Context(), url, secret, person, "hi")
	if err != nil || !strings.HasPrefix(wamid, "wamid.") || len(rc.got()) != 1 {
		t.Fatalf("DeliverText = %q, %v", wamid, err)
	}
	if _, err := c.Messages.Send(t.Context(), line, text("+"+person, "hello")); err != nil {
		t.Fatalf("after the person wrote: %v", err)
	}
	// Read receipts: fine for the inbound message, refused for our own.
	if err := c.Messages.MarkRead(t.Context(), line, whatsapp.ReadReceipt{MessageID: wamid, Typing: true}); err != nil {
		t.Fatal(err)
	}
	out := srv.Sent()[1].MessageID
	if err := c.Messages.MarkRead(t.Context(), line, whatsapp.ReadReceipt{MessageID: out}); !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Fatalf("marking our own message read: %v", err)
	}
	// 24 hours later the window is closed again.
	srv.OpenWindow(line, person, time.Now().Add(-24*time.Hour))
	if _, err := c.Messages.Send(t.Context(), line, text("+"+person, "hello")); !errors.Is(err, whatsapp.ErrOutsideWindow) {
		t.Fatalf("err = %v, want 131047", err)
	}
}

func TestThroughputAndPairLimits(t *testing.T) {
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow(), whatsapptest.WithThroughput(5), whatsapptest.WithPairLimit(6*time.Second, 2))
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		c := client(t, srv)
		for i := range 5 {
			if _, err := c.Messages.Send(t.Context(), line, text("+1555000000"+string(rune('0'+i)), "x")); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.Messages.Send(t.Context(), line, text("+15550000009", "x"))
		var ae *whatsapp.APIError
		if !errors.As(err, &ae) || ae.Code != 130429 || !errors.Is(err, whatsapp.ErrRateLimited) {
			t.Fatalf("6th send in a second: %v, want 130429", err)
		}
		time.Sleep(time.Second)
		for range 2 {
			if _, err := c.Messages.Send(t.Context(), line, text("+15550000008", "x")); err != nil {
				t.Fatal(err)
			}
		}
		_, err = c.Messages.Send(t.Context(), line, text("+15550000008", "x"))
		if !errors.Is(err, whatsapp.ErrPairRateLimited) || !errors.Is(err, whatsapp.ErrRateLimited) {
			t.Fatalf("3rd send to one person: %v, want 131056", err)
		}
		time.Sleep(6 * time.Second)
		if _, err := c.Messages.Send(t.Context(), line, text("+15550000008", "x")); err != nil {
			t.Fatalf("after 6 s: %v", err)
		}
	})
}

func TestContentLimitsAreEnforced(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow())
	defer srv.Close()
	c := client(t, srv)
	btn := func(title string) map[string]any {
		return map[string]any{"type": "reply", "reply": map[string]string{"id": title, "title": title}}
	}
	bodies := map[string]map[string]any{
		"long text":    {"type": "text", "text": map[string]any{"body": strings.Repeat("ب", 4097)}},
		"four buttons": {"type": "interactive", "interactive": map[string]any{"type": "button", "body": map[string]string{"text": "b"}, "action": map[string]any{"buttons": []any{btn("a"), btn("b"), btn("c"), btn("d")}}}},
		"long title":   {"type": "interactive", "interactive": map[string]any{"type": "button", "body": map[string]string{"text": "b"}, "action": map[string]any{"buttons": []any{btn("123456789012345678901")}}}},
		// Meta's OpenAPI description lists type among MessageRequest's
		// required fields, so the fake refuses a message without it.
		"no type":      {"text": map[string]any{"body": "x"}},
		"no recipient": {"type": "text", "text": map[string]any{"body": "x"}, "to": ""},
	}
	for name, b := range bodies {
		b["messaging_product"] = "whatsapp"
		if _, ok := b["to"]; !ok {
			b["to"] = "+" + person
		}
		req, err := c.NewRequest(t.Context(), http.MethodPost, line+"/messages", b)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Do(req, nil)
		if !errors.Is(err, whatsapp.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want an invalid-request error", name, err)
		}
	}
	if len(srv.Sent()) != 0 {
		t.Fatalf("%d messages accepted", len(srv.Sent()))
	}
}

func TestFaultsAndLatency(t *testing.T) {
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow(), whatsapptest.WithLatency(100*time.Millisecond))
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		c := client(t, srv)
		srv.Inject(whatsapptest.Fault{Code: 131026, PathSuffix: "/messages"})
		srv.Inject(whatsapptest.Fault{Latency: 2 * time.Second, Times: -1, Method: http.MethodGet})
		start := time.Now()
		if _, err := c.Messages.Send(t.Context(), line, text("+"+person, "x")); !errors.Is(err, whatsapp.ErrUndeliverable) {
			t.Fatalf("err = %v", err)
		}
		if _, err := c.Messages.Send(t.Context(), line, text("+"+person, "x")); err != nil {
			t.Fatalf("fault applied twice: %v", err)
		}
		if d := time.Since(start); d != 200*time.Millisecond {
			t.Fatalf("two sends took %v, want 2 × 100 ms", d)
		}
		start = time.Now()
		if _, err := c.PhoneNumbers.Get(t.Context(), line); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 2100*time.Millisecond {
			t.Fatalf("slow read took %v", d)
		}
	})
}

func TestAuthAndUnknownNumbers(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow())
	defer srv.Close()
	bad, err := whatsapp.New("wrong", whatsapp.WithBaseURL(srv.URL), whatsapp.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.PhoneNumbers.Get(t.Context(), line); !errors.Is(err, whatsapp.ErrAuth) {
		t.Fatalf("wrong token: %v", err)
	}
	c := client(t, srv)
	if _, err := c.Messages.Send(t.Context(), "999", text("+"+person, "x")); !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Fatalf("unknown phone number id: %v", err)
	}
}

func TestMediaRoundTrip(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer()
	defer srv.Close()
	c := client(t, srv)
	audio := bytes.Repeat([]byte("OggS"), 1000)
	up, err := c.Media.Upload(t.Context(), line, whatsapp.Upload{Filename: "notice-ar.ogg", MIMEType: "audio/ogg", Body: bytes.NewReader(audio)})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Media.URL(t.Context(), up.ID)
	if err != nil || info.MIMEType != "audio/ogg" || info.FileSize != int64(len(audio)) {
		t.Fatalf("URL = %+v, %v", info, err)
	}
	var buf bytes.Buffer
	if _, err := c.Media.Download(t.Context(), up.ID, &buf); err != nil || !bytes.Equal(buf.Bytes(), audio) {
		t.Fatalf("Download: %v (%d bytes)", err, buf.Len())
	}
	if err := c.Media.Delete(t.Context(), up.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Media.URL(t.Context(), up.ID); !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Fatalf("URL after delete: %v", err)
	}
	// The fake refuses what Meta refuses, even from a client that skips checks.
	req, _ := c.NewRequest(t.Context(), http.MethodPost, line+"/media", []byte("--x--"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if _, err := c.Do(req, nil); !errors.Is(err, whatsapp.ErrInvalidRequest) {
		t.Fatalf("empty upload: %v", err)
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	const waba = whatsapptest.DefaultWABAID
	body := func(text string) []whatsapp.TemplateComponent {
		return []whatsapp.TemplateComponent{{Type: "BODY", Text: text}}
	}
	srv := whatsapptest.NewServer(
		whatsapptest.WithTemplate(waba, whatsapp.Template{Name: "alert", Language: "en", Category: "UTILITY", Components: body("Alert for {{1}} at {{2}}")}),
		whatsapptest.WithTemplate(waba, whatsapp.Template{Name: "alert", Language: "ar", Category: "UTILITY", Components: body("تنبيه {{1}} {{2}}")}),
		whatsapptest.WithTemplate(waba, whatsapp.Template{Name: "paused_one", Language: "en", Category: "MARKETING", Status: whatsapp.TemplatePaused, Components: body("Hi")}),
	)
	defer srv.Close()
	c := client(t, srv)
	for _, n := range []string{"b_notice", "c_notice", "d_notice"} {
		r, err := c.Templates.Create(t.Context(), waba, whatsapp.NewTemplate{Name: n, Language: "en", Category: "UTILITY", Components: body("Hello {{1}}")})
		if err != nil || r.Status != whatsapp.TemplatePending {
			t.Fatalf("Create = %+v, %v", r, err)
		}
	}
	var names []string
	for tm, err := range c.Templates.List(t.Context(), waba, &whatsapp.ListTemplatesOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tm.Name+"/"+tm.Language)
	}
	if len(names) != 6 || len(srv.Requests()) != 3+3 {
		t.Fatalf("listed %v over %d requests, want 6 over 3 pages", names, len(srv.Requests())-3)
	}
	send := func(name, lang string, params ...string) error {
		m := whatsapp.TemplateMessage{Envelope: whatsapp.Envelope{To: "+" + person}, Name: name, Language: lang}
		for _, p := range params {
			m.Body = append(m.Body, whatsapp.Param{Text: p})
		}
		_, err := c.Messages.Send(t.Context(), line, m)
		return err
	}
	if err := send("alert", "ar", "x", "y"); err != nil {
		t.Fatal(err)
	}
	var ae *whatsapp.APIError
	for _, tc := range []struct {
		name, lang string
		params     []string
		code       int
	}{
		{"alert", "fr", []string{"x", "y"}, 132001},
		{"alert", "en", []string{"x"}, 132000},
		{"paused_one", "en", nil, 132015},
		{"b_notice", "en", []string{"x"}, 132001}, // still pending review
	} {
		if err := send(tc.name, tc.lang, tc.params...); !errors.As(err, &ae) || ae.Code != tc.code || !errors.Is(err, whatsapp.ErrTemplate) {
			t.Errorf("%s/%s: %v, want %d", tc.name, tc.lang, err, tc.code)
		}
	}
	srv.SetTemplateStatus("b_notice", "en", whatsapp.TemplateApproved)
	if err := send("b_notice", "en", "x"); err != nil {
		t.Fatal(err)
	}
	got, err := c.Templates.Get(t.Context(), srv.Templates(waba)[3].ID)
	if err != nil || got.Name != "b_notice" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := c.Templates.Delete(t.Context(), waba, "alert", ""); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Templates(waba)); n != 4 {
		t.Fatalf("%d templates after deleting both alert languages", n)
	}
	if err := c.Templates.Delete(t.Context(), waba, "alert", ""); !errors.Is(err, whatsapp.ErrTemplate) {
		t.Fatalf("deleting again: %v", err)
	}
}

func TestPhoneNumbers(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer(whatsapptest.WithPhoneNumber(whatsapp.PhoneNumber{ID: "111"}), whatsapptest.WithPhoneNumber(whatsapp.PhoneNumber{ID: "222", QualityRating: "YELLOW"}))
	defer srv.Close()
	c := client(t, srv)
	p, err := c.PhoneNumbers.Get(t.Context(), "222")
	if err != nil || p.QualityRating != "YELLOW" || p.Throughput.Level != "STANDARD" || p.MessagingLimit != "TIER_250" {
		t.Fatalf("Get = %+v, %v", p, err)
	}
	var ids []string
	for p, err := range c.PhoneNumbers.List(t.Context(), whatsapptest.DefaultWABAID) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "111,222" {
		t.Fatalf("List = %v", ids)
	}
}

func TestObservingSends(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []whatsapptest.Sent
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow(), whatsapptest.WithOnSend(func(s whatsapptest.Sent) {
		mu.Lock()
		seen = append(seen, s)
		mu.Unlock()
	}))
	defer srv.Close()
	c := client(t, srv)
	done := make(chan []whatsapptest.Sent)
	go func() {
		s, _ := srv.WaitSent(t.Context(), 2)
		done <- s
	}()
	_, _ = c.Messages.Send(t.Context(), line, whatsapp.List{Envelope: whatsapp.Envelope{To: "+" + person}, Body: "Pick", Button: "Cities",
		Sections: []whatsapp.Section{{Rows: []whatsapp.Row{{ID: "uio", Title: "Quito", Description: "Capital"}}}}})
	_, _ = c.Messages.Send(t.Context(), line, whatsapp.Audio{Envelope: whatsapp.Envelope{To: "+" + person}, MediaRef: whatsapp.MediaRef{ID: "9"}, Voice: true})
	got := <-done
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || len(seen) != 2 || seen[0].Button != "Cities" || seen[0].Options[0] != (whatsapptest.Choice{ID: "uio", Title: "Quito", Description: "Capital"}) || seen[1].MediaID != "9" {
		t.Fatalf("seen %+v", seen)
	}
}

func TestStatusWebhooks(t *testing.T) {
	t.Parallel()
	rc, url := newReceiver(t)
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow(), whatsapptest.WithStatusWebhooks(url, secret, "sent", "delivered", "read"))
	c := client(t, srv)
	r, err := c.Messages.Send(t.Context(), line, whatsapp.Text{Envelope: whatsapp.Envelope{To: "+" + person, CallbackData: "case-9"}, Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close() // waits for the deliveries
	var states []string
	for _, b := range rc.got() {
		s := firstStatus(t, b)
		if s.ID != r.MessageID || s.Biz != "case-9" {
			t.Fatalf("status %+v", s)
		}
		states = append(states, s.Status)
	}
	if strings.Join(states, ",") != "sent,delivered,read" {
		t.Fatalf("states %v", states)
	}
}

// Statuses of a message sent to a group say so, as Meta's do
// (recipient_type "group", recipient_id the group's id).
func TestGroupStatusWebhooks(t *testing.T) {
	t.Parallel()
	rc, url := newReceiver(t)
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow(), whatsapptest.WithStatusWebhooks(url, secret, "sent"))
	c := client(t, srv)
	req, err := c.Groups.Create(t.Context(), line, whatsapp.NewGroup{Subject: "Newcomers"})
	if err != nil {
		t.Fatal(err)
	}
	group, ok := srv.GroupByRequest(req)
	if !ok {
		t.Fatal("no group")
	}
	if _, err := c.Messages.Send(t.Context(), line, whatsapp.Text{Envelope: whatsapp.Envelope{Group: group}, Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Messages.Send(t.Context(), line, whatsapp.Text{Envelope: whatsapp.Envelope{To: "+" + person}, Body: "x"}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	got := map[string]string{}
	for _, b := range rc.got() {
		s := firstStatus(t, b)
		got[s.RecipientID] = s.RecipientType
	}
	if len(got) != 2 || got[group] != "group" || got[person] != "" {
		t.Fatalf("recipient types by recipient: %v", got)
	}
}

// statusItem is what the tests read of a status webhook's status.
type statusItem struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Biz           string `json:"biz_opaque_callback_data"`
	RecipientID   string `json:"recipient_id"`
	RecipientType string `json:"recipient_type"`
}

// firstStatus decodes the first status of a status webhook's body.
func firstStatus(t *testing.T, body []byte) statusItem {
	t.Helper()
	var n struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Statuses []statusItem `json:"statuses"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	if len(n.Entry) == 0 || len(n.Entry[0].Changes) == 0 || len(n.Entry[0].Changes[0].Value.Statuses) == 0 {
		t.Fatalf("no status in %s", body)
	}
	return n.Entry[0].Changes[0].Value.Statuses[0]
}

// conformance finds Meta's recorded webhooks; see the whatsapp package's
// tests for the rules.
func conformance(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("IMPACTCHAT_CONFORMANCE_DIR")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared", "conformance")
				break
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "webhooks")); err != nil {
		if os.Getenv("IMPACTCHAT_REQUIRE_CONFORMANCE") == "1" {
			t.Fatalf("conformance fixtures not found at %q", dir)
		}
		t.Skipf("conformance fixtures not found at %q; set IMPACTCHAT_CONFORMANCE_DIR", dir)
	}
	return filepath.Join(dir, "webhooks")
}

// shape lists the key paths of a JSON document (array elements merged).
func shape(v any, path string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			shape(e, path+"."+k, out)
		}
	case []any:
		for _, e := range x {
			shape(e, path+"[]", out)
		}
	default:
		out[path] = true
	}
}

func shapeOf(t *testing.T, b []byte, under string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	all := map[string]bool{}
	shape(v, "", all)
	var out []string
	for p := range all {
		if strings.HasPrefix(p, under) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// TestWebhookPayloadsAreShapedLikeMetas compares the payloads the fake
// delivers with payloads Meta sent (from its documentation and other SDKs'
// recordings), key path by key path.
func TestWebhookPayloadsAreShapedLikeMetas(t *testing.T) {
	t.Parallel()
	dir := conformance(t)
	srv := whatsapptest.NewServer()
	defer srv.Close()
	img := srv.AddMedia("image/jpeg", []byte("\xff\xd8\xff jpeg"))
	const msgs = ".entry[].changes[].value.messages[]"
	cases := []struct {
		fixture string
		under   string
		build   func() ([]byte, error)
	}{
		{"text__meta-docs.json", "", func() ([]byte, error) {
			b, _, err := srv.MessagePayload(whatsapptest.Inbound{From: person, Name: "Sheena Nelson", Text: "Does it come in another color?"})
			return b, err
		}},
		{"interactive_button_reply__meta-docs.json", "", func() ([]byte, error) {
			b, _, err := srv.MessagePayload(whatsapptest.Inbound{From: person, ReplyTo: "wamid.X", ButtonReply: &whatsapptest.Reply{ID: "change-button", Title: "Change"}})
			return b, err
		}},
		{"interactive_list_reply__meta-docs.json", "", func() ([]byte, error) {
			b, _, err := srv.MessagePayload(whatsapptest.Inbound{From: person, ReplyTo: "wamid.X", ListReply: &whatsapptest.Reply{ID: "priority_express", Title: "Priority Mail Express", Description: "Next Day to 2 Days"}})
			return b, err
		}},
		{"image__pywa.json", msgs, func() ([]byte, error) {
			b, _, err := srv.MessagePayload(whatsapptest.Inbound{From: person, Media: &whatsapptest.InboundMedia{Kind: "image", ID: img}})
			return b, err
		}},
		{"audio_voice__pywa.json", msgs, func() ([]byte, error) {
			b, _, err := srv.MessagePayload(whatsapptest.Inbound{From: person, Media: &whatsapptest.InboundMedia{Kind: "audio", ID: img, MIMEType: "audio/ogg", Voice: true}})
			return b, err
		}},
		{"reaction__pywa.json", msgs, func() ([]byte, error) {
			b, _, err := srv.MessagePayload(whatsapptest.Inbound{From: person, Reaction: &whatsapptest.InboundReaction{MessageID: "wamid.Y", Emoji: "😮"}})
			return b, err
		}},
		{"text_with_bsuid_user_id__courier.json", "", func() ([]byte, error) {
			b, _, err := srv.MessagePayload(whatsapptest.Inbound{From: "5678", UserID: "US.1234", Name: "Kerry Fisher", Text: "Hello World"})
			return b, err
		}},
		{"status_v24_without_conversation_and_pricing__meta-docs.json", "", func() ([]byte, error) {
			return srv.StatusPayload(whatsapptest.Status{MessageID: "wamid.Z", RecipientID: person, Status: "sent"})
		}},
		{"status_failed_131049__meta-docs.json", "", func() ([]byte, error) {
			return srv.StatusPayload(whatsapptest.Status{MessageID: "wamid.Z", RecipientID: person, Status: "failed", ErrorCode: 131049})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			w, g := shapeOf(t, want, tc.under), shapeOf(t, got, tc.under)
			// Profile usernames are only in the BSUID fixture and optional.
			w = without(w, ".entry[].changes[].value.contacts[].profile.username")
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Fatalf("shape differs from %s\n got: %v\nwant: %v", tc.fixture, g, w)
			}
		})
	}
}

func without(ss []string, drop string) []string {
	var out []string
	for _, s := range ss {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func TestWebhookBytesAreEscapedLikeMetas(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer()
	defer srv.Close()
	b, _, err := srv.MessagePayload(whatsapptest.Inbound{From: person, Text: "مرحبا https://example.org 👋"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, `\u0645\u0631\u062d\u0628\u0627 https:\/\/example.org \ud83d\udc4b`) {
		t.Fatalf("payload not escaped as Meta does: %s", s)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("escaped payload is not JSON: %v", err)
	}
}

func TestStaleMediaURLIsFetchedAgain(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer()
	defer srv.Close()
	id := srv.AddMedia("image/png", []byte("\x89PNG data"))
	srv.Inject(whatsapptest.Fault{Status: http.StatusNotFound, Code: 100, Method: http.MethodGet, PathSuffix: "/media-files/" + id})
	c := client(t, srv)
	var buf bytes.Buffer
	if _, err := c.Media.Download(t.Context(), id, &buf); err != nil || buf.String() != "\x89PNG data" {
		t.Fatalf("Download: %v, %q", err, buf.String())
	}
	var urls int
	for _, r := range srv.Requests() {
		if r.Path == "/"+c.APIVersion()+"/"+id {
			urls++
		}
	}
	if urls != 2 {
		t.Fatalf("media URL looked up %d times, want 2", urls)
	}
}

func TestMessagesLogWithoutPersonalData(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("send", "message", text("+16505551234", "my asylum case number is 77"))
	if s := buf.String(); strings.Contains(s, "6505551234") || strings.Contains(s, "asylum") {
		t.Fatalf("log line leaks personal data: %s", s)
	}
}

// TestWebhookBytesEqualMetas rebuilds two of Meta's documented payloads
// byte for byte (once the documentation's indentation is removed).
func TestWebhookBytesEqualMetas(t *testing.T) {
	t.Parallel()
	dir := conformance(t)
	srv := whatsapptest.NewServer()
	defer srv.Close()
	compact := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := json.Compact(&out, b); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	msg, _, err := srv.MessagePayload(whatsapptest.Inbound{From: "16505551234", Name: "Sheena Nelson",
		ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", Time: time.Unix(1749416383, 0), Text: "Does it come in another color?"})
	if err != nil {
		t.Fatal(err)
	}
	if want := compact("text__meta-docs.json"); string(msg) != want {
		t.Errorf("text payload\n got: %s\nwant: %s", msg, want)
	}
	st, err := srv.StatusPayload(whatsapptest.Status{MessageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
		RecipientID: "16505551234", Status: "sent", Time: time.Unix(1750030073, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if want := compact("status_v24_without_conversation_and_pricing__meta-docs.json"); string(st) != want {
		t.Errorf("status payload\n got: %s\nwant: %s", st, want)
	}
}

// TestResponsesAreShapedLikeMetas compares the fake's answers with
// answers Meta gave, key path by key path and in Meta's key order.
func TestResponsesAreShapedLikeMetas(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(filepath.Dir(conformance(t)), "send")
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow())
	defer srv.Close()
	img := srv.AddMedia("image/png", []byte("\x89PNG"))
	srv.FailNext(130429)
	hc := srv.Client()
	do := func(method, path, body string) []byte {
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+whatsapptest.DefaultToken)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	sendBody := `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":"hi"}}`
	cases := []struct {
		fixture string
		got     []byte
	}{
		{"response_error_130429__meta-docs.json", do("POST", "/v25.0/"+line+"/messages", sendBody)},
		{"response_send_success__meta-docs.json", do("POST", "/v25.0/"+line+"/messages", sendBody)},
		{"response_media_retrieve_url__java-sdk.json", do("GET", "/v25.0/"+img, "")},
		{"response_media_delete_success__ruby-sdk.json", do("DELETE", "/v25.0/"+img, "")},
	}
	for _, c := range cases {
		want, err := os.ReadFile(filepath.Join(dir, c.fixture))
		if err != nil {
			t.Fatal(err)
		}
		if g, w := keyOrder(t, c.got), keyOrder(t, want); g != w {
			t.Errorf("%s:\n got keys %s\nwant keys %s", c.fixture, g, w)
		}
	}
}

// keyOrder lists a document's keys in order of appearance.
func keyOrder(t *testing.T, b []byte) string {
	t.Helper()
	type frame struct{ object, wantKey bool }
	var stack []frame
	var keys []string
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				keys = append(keys, v)
				stack[n-1].wantKey = false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
	return strings.Join(keys, ",")
}

func TestSentString(t *testing.T) {
	t.Parallel()
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow())
	defer srv.Close()
	c := client(t, srv)
	_, err := c.Messages.Send(t.Context(), line, whatsapp.List{Envelope: whatsapp.Envelope{To: "+" + person}, Header: "Offices", Body: "Which city?", Button: "Cities",
		Sections: []whatsapp.Section{{Rows: []whatsapp.Row{{ID: "uio", Title: "Quito", Description: "Capital"}, {ID: "gye", Title: "Guayaquil"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "Offices\nWhich city?\n  1. Quito (Capital)\n  2. Guayaquil\n[Cities]"
	if got := srv.Sent()[0].String(); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

// TestAsyncFailures: errors that Meta reports by webhook after accepting
// the send.
func TestAsyncFailures(t *testing.T) {
	t.Parallel()
	rc, url := newReceiver(t)
	srv := whatsapptest.NewServer(whatsapptest.WithWindowErrorsByWebhook(), whatsapptest.WithStatusWebhooks(url, secret))
	c := client(t, srv)
	srv.OpenWindow(line, person, time.Now())
	srv.Inject(whatsapptest.Fault{Code: 131026, Async: true, PathSuffix: "/messages"})
	r1, err := c.Messages.Send(t.Context(), line, text("+"+person, "x"))
	if err != nil {
		t.Fatalf("async 131026 failed synchronously: %v", err)
	}
	r2, err := c.Messages.Send(t.Context(), line, text("+15550001111", "never wrote"))
	if err != nil {
		t.Fatalf("window error by webhook failed synchronously: %v", err)
	}
	srv.Close()
	sent := srv.Sent()
	if sent[0].FailedCode != 131026 || sent[1].FailedCode != 131047 {
		t.Fatalf("failed codes %d, %d", sent[0].FailedCode, sent[1].FailedCode)
	}
	got := map[string]string{}
	for _, b := range rc.got() {
		s := string(b)
		for _, id := range []string{r1.MessageID, r2.MessageID} {
			if strings.Contains(s, id) {
				got[id] += s
			}
		}
	}
	if !strings.Contains(got[r1.MessageID], `"code":131026`) || !strings.Contains(got[r2.MessageID], `"code":131047`) ||
		strings.Contains(got[r1.MessageID], `"delivered"`) {
		t.Fatalf("statuses %v", got)
	}
}
