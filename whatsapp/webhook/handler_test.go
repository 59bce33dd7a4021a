package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

const verifyToken = "verify-token-for-tests"

// memSink is an in-memory Sink that keeps each event once by key, as a
// durable inbox does, and can be told to fail.
type memSink struct {
	mu     sync.Mutex
	fail   error
	calls  int
	events map[string]chat.Event
	order  []string
}

func newMemSink() *memSink { return &memSink{events: map[string]chat.Event{}} }

func (s *memSink) Accept(_ context.Context, evs []chat.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		return s.fail
	}
	for _, e := range evs {
		if _, ok := s.events[e.Key()]; !ok {
			s.events[e.Key()] = e
			s.order = append(s.order, e.Key())
		}
	}
	return nil
}

func (s *memSink) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *memSink) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

func newHandler(t testing.TB, cfg webhook.Config, sink webhook.Sink) http.Handler {
	t.Helper()
	if cfg.Secrets == nil && cfg.Apps == nil {
		cfg.Secrets = []string{secret}
	}
	if cfg.VerifyToken == "" {
		cfg.VerifyToken = verifyToken
	}
	h, err := webhook.NewHandler(cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func textBody(id, line string) []byte {
	return webhooktest.TextPayload(webhooktest.TextMessage{
		Line: line, From: "16505551234", ProfileName: "Sheena Nelson", ID: id,
		Body: "Where is the office?", Time: time.Unix(1749416383, 0),
	})
}

func TestNewHandlerFailsClosed(t *testing.T) {
	t.Parallel()
	sink := newMemSink()
	tests := []struct {
		name string
		cfg  webhook.Config
		sink webhook.Sink
		want error
	}{
		{"no secrets", webhook.Config{VerifyToken: verifyToken}, sink, webhook.ErrNoSecret},
		{"empty secret", webhook.Config{Secrets: []string{""}, VerifyToken: verifyToken}, sink, webhook.ErrNoSecret},
		{"empty app secret list", webhook.Config{Apps: []webhook.App{{Lines: []string{"1"}}}, VerifyToken: verifyToken}, sink, webhook.ErrNoSecret},
		{"empty app secret", webhook.Config{Apps: []webhook.App{{Secrets: []string{secret, ""}}}, VerifyToken: verifyToken}, sink, webhook.ErrNoSecret},
		{"no verify token", webhook.Config{Secrets: []string{secret}}, sink, webhook.ErrNoVerifyToken},
		{"no sink", webhook.Config{Secrets: []string{secret}, VerifyToken: verifyToken}, nil, webhook.ErrNoSink},
		{"secret in two apps", webhook.Config{Secrets: []string{secret}, Apps: []webhook.App{{Secrets: []string{secret}, Lines: []string{"1"}}}, VerifyToken: verifyToken}, sink, nil},
		{"negative limit", webhook.Config{Secrets: []string{secret}, VerifyToken: verifyToken, MaxBodyBytes: -1}, sink, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := webhook.NewHandler(tt.cfg, tt.sink)
			if err == nil || h != nil {
				t.Fatalf("NewHandler() = %v, %v; want an error", h, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("NewHandler() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	t.Parallel()
	h := newHandler(t, webhook.Config{}, newMemSink())
	get := func(q url.Values) *http.Request {
		return httptest.NewRequest(http.MethodGet, "/any/path?"+q.Encode(), nil)
	}
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		w := serve(h, webhooktest.NewHandshakeRequest(verifyToken, "1158201444"))
		if w.Code != http.StatusOK || w.Body.String() != "1158201444" {
			t.Fatalf("got %d %q", w.Code, w.Body.String())
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("Content-Type = %q", ct)
		}
	})
	t.Run("challenge echoed as sent", func(t *testing.T) {
		t.Parallel()
		w := serve(h, webhooktest.NewHandshakeRequest(verifyToken, "<script>x</script>"))
		if w.Code != http.StatusOK || w.Body.String() != "<script>x</script>" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("got %d %q %v", w.Code, w.Body.String(), w.Header())
		}
	})
	refused := map[string]url.Values{
		"wrong token":      {"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1"}},
		"token prefix":     {"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken[:5]}, "hub.challenge": {"1"}},
		"no token":         {"hub.mode": {"subscribe"}, "hub.challenge": {"1"}},
		"wrong mode":       {"hub.mode": {"unsubscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {"1"}},
		"no mode":          {"hub.verify_token": {verifyToken}, "hub.challenge": {"1"}},
		"no challenge":     {"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}},
		"huge challenge":   {"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {strings.Repeat("9", 2000)}},
		"nothing in query": {},
	}
	for name, q := range refused {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if w := serve(h, get(q)); w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "1") {
				t.Fatalf("got %d %q, want 403 without the challenge", w.Code, w.Body.String())
			}
		})
	}
}

func TestDeliveryStatusCodes(t *testing.T) {
	t.Parallel()
	body := textBody("wamid.codes", "106540352242922")
	oversized := append([]byte(`{"object":"whatsapp_business_account","x":"`), bytes.Repeat([]byte("a"), 2048)...)
	oversized = append(oversized, `"}`...)
	malformed := []byte(`{"object":"whatsapp_business_account","entry":[`)
	tests := []struct {
		name   string
		cfg    webhook.Config
		req    func() *http.Request
		fail   error
		code   int
		events int // events the sink must hold afterwards
	}{
		{"accepted", webhook.Config{}, func() *http.Request { return webhooktest.NewRequest(body, secret) }, nil, 200, 1},
		{"accepted under the old secret during rotation", webhook.Config{Secrets: []string{secret, oldSecret}},
			func() *http.Request { return webhooktest.NewRequest(body, oldSecret) }, nil, 200, 1},
		{"nothing to accept", webhook.Config{}, func() *http.Request {
			return webhooktest.NewRequest([]byte(`{"object":"whatsapp_business_account","entry":[]}`), secret)
		}, nil, 200, 0},
		{"missing signature", webhook.Config{}, func() *http.Request {
			r := webhooktest.NewRequest(body, secret)
			r.Header.Del(webhooktest.SignatureHeader)
			return r
		}, nil, 401, 0},
		{"malformed signature", webhook.Config{}, func() *http.Request {
			r := webhooktest.NewRequest(body, secret)
			r.Header.Set(webhooktest.SignatureHeader, "sha256=nothex")
			return r
		}, nil, 401, 0},
		{"wrong signature", webhook.Config{}, func() *http.Request { return webhooktest.NewRequest(body, "someone-else") }, nil, 401, 0},
		{"oversized with length", webhook.Config{MaxBodyBytes: 1024}, func() *http.Request { return webhooktest.NewRequest(oversized, secret) }, nil, 413, 0},
		{"oversized without length", webhook.Config{MaxBodyBytes: 1024}, func() *http.Request {
			r := webhooktest.NewRequest(oversized, secret)
			r.ContentLength = -1
			r.Body = io.NopCloser(bytes.NewReader(oversized))
			return r
		}, nil, 413, 0},
		{"accepted without length", webhook.Config{}, func() *http.Request {
			r := webhooktest.NewRequest(body, secret)
			r.ContentLength = -1
			r.Body = io.NopCloser(bytes.NewReader(body))
			return r
		}, nil, 200, 1},
		{"body shorter than its length", webhook.Config{}, func() *http.Request {
			r := webhooktest.NewRequest(body, secret)
			r.ContentLength = int64(len(body)) + 1
			return r
		}, nil, 400, 0},
		{"malformed JSON, valid signature", webhook.Config{}, func() *http.Request { return webhooktest.NewRequest(malformed, secret) }, nil, 400, 0},
		{"JSON array, valid signature", webhook.Config{}, func() *http.Request { return webhooktest.NewRequest([]byte(`[]`), secret) }, nil, 400, 0},
		{"malformed JSON, no signature", webhook.Config{}, func() *http.Request {
			r := webhooktest.NewRequest(malformed, secret)
			r.Header.Del(webhooktest.SignatureHeader)
			return r
		}, nil, 401, 0},
		{"sink fails", webhook.Config{}, func() *http.Request { return webhooktest.NewRequest(body, secret) }, errors.New("disk full"), 503, 0},
		{"put", webhook.Config{}, func() *http.Request {
			r := webhooktest.NewRequest(body, secret)
			r.Method = http.MethodPut
			return r
		}, nil, 405, 0},
		{"delete", webhook.Config{}, func() *http.Request { return httptest.NewRequest(http.MethodDelete, "/webhook", nil) }, nil, 405, 0},
		{"app may report on its line", webhook.Config{Apps: []webhook.App{{Secrets: []string{secret}, Lines: []string{"106540352242922"}}}},
			func() *http.Request { return webhooktest.NewRequest(body, secret) }, nil, 200, 1},
		{"app may not report on another app's line", webhook.Config{Apps: []webhook.App{
			{Secrets: []string{secret}, Lines: []string{"999"}},
			{Secrets: []string{"other-app"}, Lines: []string{"106540352242922"}},
		}}, func() *http.Request { return webhooktest.NewRequest(body, secret) }, nil, 403, 0},
		{"second app on its own line", webhook.Config{Apps: []webhook.App{
			{Secrets: []string{secret}, Lines: []string{"999"}},
			{Secrets: []string{"other-app"}, Lines: []string{"106540352242922"}},
		}}, func() *http.Request { return webhooktest.NewRequest(body, "other-app") }, nil, 200, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := newMemSink()
			sink.fail = tt.fail
			w := serve(newHandler(t, tt.cfg, sink), tt.req())
			if w.Code != tt.code {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tt.code, w.Body.String())
			}
			if got := len(sink.keys()); got != tt.events {
				t.Fatalf("sink holds %d events, want %d", got, tt.events)
			}
			if tt.code == http.StatusMethodNotAllowed && w.Header().Get("Allow") != "GET, POST" {
				t.Fatalf("Allow = %q", w.Header().Get("Allow"))
			}
		})
	}
}

// A delivery the sink could not store is refused with 503; Meta sends it
// again and it is accepted, and a third copy changes nothing.
func TestSinkFailureThenRetryAcceptedOnce(t *testing.T) {
	t.Parallel()
	sink := newMemSink()
	h := newHandler(t, webhook.Config{}, sink)
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
		"contacts":[{"profile":{"name":"A"},"wa_id":"16505551234"}],
		"messages":[{"from":"16505551234","id":"wamid.one","timestamp":"1749416383","type":"text","text":{"body":"hi"}}],
		"statuses":[{"id":"wamid.out","status":"read","timestamp":"1749416384","recipient_id":"16505551234"}]}}]}]}`)

	sink.setFail(errors.New("database unavailable"))
	if w := serve(h, webhooktest.NewRequest(body, secret)); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("first delivery: %d, want 503", w.Code)
	}
	if len(sink.keys()) != 0 {
		t.Fatal("events kept although the sink failed")
	}
	sink.setFail(nil)
	for i := range 2 {
		if w := serve(h, webhooktest.NewRequest(body, secret)); w.Code != http.StatusOK {
			t.Fatalf("retry %d: %d, want 200", i, w.Code)
		}
	}
	want := []string{"m:whatsapp:wamid.one", "s:whatsapp:wamid.out:read"}
	if got := sink.keys(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("sink holds %v, want %v once each", got, want)
	}
	if sink.calls != 3 {
		t.Fatalf("Accept called %d times, want 3 (one per delivery, all events at once)", sink.calls)
	}
}

// The handler answers only after Accept returned: a slow sink delays the
// answer, and a cancelled request never gets a 200.
func TestAnswerWaitsForSink(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{})
	h := newHandler(t, webhook.Config{}, webhook.SinkFunc(func(ctx context.Context, _ []chat.Event) error {
		close(entered)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(w, webhooktest.NewRequest(textBody("wamid.wait", "1"), secret))
		close(done)
	}()
	<-entered
	select {
	case <-done:
		t.Fatal("answered before the sink returned")
	default:
	}
	close(release)
	<-done
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
}

func TestOnNotificationSeesManagementFields(t *testing.T) {
	t.Parallel()
	body := []byte(`{"entry":[{"id":"102290129340398","time":1751247548,"changes":[{"value":{"event":"APPROVED",
		"message_template_id":1689556908129832,"message_template_name":"order_confirmation","message_template_language":"en_US",
		"reason":"NONE","message_template_category":"UTILITY"},"field":"message_template_status_update"}]}],"object":"whatsapp_business_account"}`)
	var got []string
	fail := true
	sink := newMemSink()
	h := newHandler(t, webhook.Config{OnNotification: func(_ context.Context, n *webhook.Notification) error {
		for c := range n.Changes() {
			if u, ok := c.Value.(*webhook.TemplateStatusUpdate); ok {
				got = append(got, u.Event+" "+string(u.MessageTemplateID))
			}
		}
		if fail {
			fail = false
			return errors.New("not now")
		}
		return nil
	}}, sink)
	if w := serve(h, webhooktest.NewRequest(body, secret)); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("callback failure: %d, want 503", w.Code)
	}
	if w := serve(h, webhooktest.NewRequest(body, secret)); w.Code != http.StatusOK {
		t.Fatalf("retry: %d, want 200", w.Code)
	}
	if strings.Join(got, ",") != "APPROVED 1689556908129832,APPROVED 1689556908129832" {
		t.Fatalf("callback saw %v", got)
	}
	if sink.calls != 0 {
		t.Fatalf("sink called %d times for a delivery without events", sink.calls)
	}
}

// Nothing the handler logs carries a phone number, a name or message text,
// whatever it is sent.
func TestLogsCarryNoPersonalData(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sink := newMemSink()
	h := newHandler(t, webhook.Config{Logger: logger, MaxBodyBytes: 4096, Apps: []webhook.App{{Secrets: []string{secret}, Lines: []string{"106540352242922"}}}}, sink)
	body := textBody("wamid.logs", "106540352242922")
	bad := []byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
		"metadata":{"phone_number_id":"106540352242922"},
		"messages":[{"from":"16505551234","id":"wamid.x","type":"text","text":"Where is the office?"},{"from":16505551234,"type":"text"}],
		"statuses":[{"id":"wamid.y","status":"16505551234","recipient_id":"16505551234"}],
		"errors":[{"code":131000,"title":"Something went wrong"}]}}]}]}`)
	reqs := []*http.Request{
		webhooktest.NewRequest(body, secret),
		webhooktest.NewRequest(body, "wrong"),
		webhooktest.NewRequest(bad, secret),
		webhooktest.NewRequest(textBody("wamid.other", "777000111"), secret), // a line of another app
		webhooktest.NewRequest(append(bytes.Repeat([]byte(" "), 5000), body...), secret),
		webhooktest.NewHandshakeRequest("16505551234", "16505551234"),
	}
	reqs = append(reqs, webhooktest.NewRequest(textBody("wamid.fail", "106540352242922"), secret))
	for i, r := range reqs {
		if i == len(reqs)-1 {
			sink.setFail(errors.New("store down"))
		}
		serve(h, r)
	}
	out := logs.String()
	if out == "" {
		t.Fatal("nothing logged")
	}
	for _, secretText := range []string{"6505551234", "Where is the office", "Sheena", secret, verifyToken} {
		if strings.Contains(out, secretText) {
			t.Errorf("logs contain %q:\n%s", secretText, out)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestReplayHorizon(t *testing.T) {
	t.Parallel()
	now := time.Unix(1749416383, 0).Add(10 * 24 * time.Hour)
	sink := newMemSink()
	h := newHandler(t, webhook.Config{MaxEventAge: 8 * 24 * time.Hour, Now: func() time.Time { return now }}, sink)
	old := textBody("wamid.old", "1") // sent ten days before now
	if w := serve(h, webhooktest.NewRequest(old, secret)); w.Code != http.StatusOK {
		t.Fatalf("old delivery: %d, want 200", w.Code)
	}
	if sink.calls != 0 {
		t.Fatal("an event older than the horizon reached the sink")
	}
	now = time.Unix(1749416383, 0).Add(7 * 24 * time.Hour)
	if w := serve(h, webhooktest.NewRequest(old, secret)); w.Code != http.StatusOK || len(sink.keys()) != 1 {
		t.Fatalf("a retry within the horizon: %d, %d events", w.Code, len(sink.keys()))
	}
	if _, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, VerifyToken: verifyToken, MaxEventAge: -time.Second}, sink); err == nil {
		t.Fatal("a negative horizon was accepted")
	}
}

func TestFailedStatusReachesSink(t *testing.T) {
	t.Parallel()
	sink := newMemSink()
	h := newHandler(t, webhook.Config{}, sink)
	body := webhooktest.StatusPayload(webhooktest.Status{
		Line: "106540352242922", MessageID: "wamid.out", RecipientID: "16505551234", State: "failed",
		Time: time.Unix(1749416383, 0), Callback: "broadcast-7", ErrorCode: 131047, ErrorTitle: "Re-engagement message",
	})
	if w := serve(h, webhooktest.NewRequest(body, secret)); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	e := sink.events["s:whatsapp:wamid.out:failed"]
	if e.Status == nil || e.Status.Error == nil || e.Status.Error.Code != 131047 || e.Status.Callback != "broadcast-7" ||
		e.Status.To.Line != "106540352242922" || !e.Status.Time.Equal(time.Unix(1749416383, 0)) {
		t.Fatalf("status event = %+v", e.Status)
	}
}

// TestHandlerOverHTTP sends deliveries with and without a length through a
// real server and checks that every answer states its length, so that
// Meta's connection can be kept alive.
func TestHandlerOverHTTP(t *testing.T) {
	t.Parallel()
	sink := newMemSink()
	srv := httptest.NewServer(newHandler(t, webhook.Config{}, sink))
	defer srv.Close()
	body := textBody("wamid.http", "106540352242922")
	tests := []struct {
		name    string
		body    io.Reader
		secret  string
		code    int
		length  int64
		chunked bool
	}{
		{"with length", bytes.NewReader(body), secret, 200, 0, false},
		{"chunked", io.MultiReader(bytes.NewReader(body)), secret, 200, 0, true},
		{"wrong signature", bytes.NewReader(body), "someone-else", 401, int64(len("Unauthorized\n")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set(webhooktest.SignatureHeader, webhooktest.Sign(body, tt.secret))
			if tt.chunked != (req.ContentLength <= 0) {
				t.Fatalf("request length %d", req.ContentLength)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.code || resp.ContentLength != tt.length || int64(len(got)) != tt.length {
				t.Fatalf("status %d, length %d, body %q; want %d and %d bytes", resp.StatusCode, resp.ContentLength, got, tt.code, tt.length)
			}
		})
	}
	if got := len(sink.keys()); got != 1 {
		t.Fatalf("sink holds %d events, want 1", got)
	}
}
