package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
	"golang.org/x/crypto/bcrypt"
)

type sent struct {
	to chat.Address
	m  chat.Outgoing
	in chat.Intent
}

type recordingSender struct {
	mu   sync.Mutex
	sent []sent
	err  error
}

func (s *recordingSender) Send(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return chat.SendResult{}, s.err
	}
	s.sent = append(s.sent, sent{to, m, chat.IntentFrom(ctx)})
	return chat.SendResult{MessageID: "wamid.staff" + string(rune('0'+len(s.sent)))}, nil
}

type fixture struct {
	t      *testing.T
	store  *memory.Store
	sender *recordingSender
	srv    *httptest.Server
	now    time.Time
}

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// newFixture starts a console on a memory store; with, when given, changes
// its configuration first.
func newFixture(t *testing.T, with ...func(f *fixture, cfg *Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, store: memory.New(), sender: &recordingSender{}, now: t0}
	clock := func() time.Time { return f.now }
	cfg := Config{
		Store: f.store, Queue: StoreQueue{Store: f.store, Now: clock}, Sender: f.sender,
		Line: "1065", Key: []byte(strings.Repeat("k", 32)), FollowUp: Template{Name: "helpline_followup", Language: "en"},
		InsecureCookies: true, Now: clock,
	}
	for _, w := range with {
		w(f, &cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(c)
	t.Cleanup(f.srv.Close)
	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if _, err := f.store.Staff().Create(t.Context(), storage.StaffAccount{Login: "amina", Name: "Amina", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (f *fixture) get(c *http.Client, path string) (int, string) {
	f.t.Helper()
	resp, err := c.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *fixture) post(c *http.Client, path string, form url.Values) (int, string) {
	f.t.Helper()
	resp, err := c.PostForm(f.srv.URL+path, form)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf token in page:\n%s", body)
	}
	return m[1]
}

func (f *fixture) signIn(c *http.Client, password string) (int, string) {
	_, body := f.get(c, "/console/login")
	return f.post(c, "/console/login", url.Values{"csrf": {csrfOf(f.t, body)}, "login": {"amina"}, "password": {password}})
}

func (f *fixture) openTicket(id string, priority int, due time.Time) storage.Ticket {
	f.t.Helper()
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: id}
	if _, err := f.store.Contacts().Touch(f.t.Context(), ref, f.now.Add(-time.Hour)); err != nil {
		f.t.Fatal(err)
	}
	tk, _, err := f.store.Tickets().Open(f.t.Context(), storage.Ticket{Contact: ref, Queue: "general", Priority: priority, DueAt: due, State: storage.TicketOpen}, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.Messages().Record(f.t.Context(), storage.MessageRecord{ID: "wamid.in." + id, Contact: ref, Direction: storage.Inbound, Kind: "text", Body: "message for ticket " + id[len(id)-3:], At: f.now.Add(-time.Hour)}); err != nil {
		f.t.Fatal(err)
	}
	return tk
}

func TestSignInTakeUrgentFirstReplyClose(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	routine := f.openTicket("447700900001", 0, t0.Add(time.Hour))
	urgent := f.openTicket("447700900002", 2, t0.Add(2*time.Hour))
	c := f.client()
	if code, body := f.signIn(c, "correct horse battery"); code != http.StatusOK || !strings.Contains(body, "Take the most urgent") {
		t.Fatalf("sign in: %d\n%s", code, body)
	}
	_, home := f.get(c, "/console/")
	code, page := f.post(c, "/console/next", url.Values{"csrf": {csrfOf(t, home)}})
	if code != http.StatusOK || !strings.Contains(page, `id="priority">urgent`) {
		t.Fatalf("next did not give the urgent ticket first: %d\n%s", code, page)
	}
	if strings.Contains(page, "447700900002") {
		t.Fatal("the number is shown before it was revealed")
	}
	if !strings.Contains(page, "message for ticket 002") {
		t.Fatal("history missing")
	}
	code, page = f.post(c, "/console/t/"+urgent.ID+"/reply", url.Values{"csrf": {csrfOf(t, page)}, "text": {"We are here. Are you safe now?"}})
	if code != http.StatusOK || !strings.Contains(page, "Sent.") {
		t.Fatalf("reply: %d\n%s", code, page)
	}
	if len(f.sender.sent) != 1 || f.sender.sent[0].to.Contact != "447700900002" || f.sender.sent[0].in.Staff == "" {
		t.Fatalf("sent = %+v", f.sender.sent)
	}
	if _, err := f.store.Messages().Get(t.Context(), "wamid.staff1"); err != nil {
		t.Fatalf("the reply was not logged: %v", err)
	}
	code, page = f.post(c, "/console/t/"+urgent.ID+"/close", url.Values{"csrf": {csrfOf(t, page)}})
	if code != http.StatusOK || !strings.Contains(page, "Closed.") {
		t.Fatalf("close: %d\n%s", code, page)
	}
	got, _ := f.store.Tickets().Get(t.Context(), urgent.ID)
	if got.State != storage.TicketClosed {
		t.Fatalf("state = %s", got.State)
	}
	if r, _ := f.store.Tickets().Get(t.Context(), routine.ID); r.State != storage.TicketOpen {
		t.Fatalf("routine ticket state = %s", r.State)
	}
}

func TestWrongPasswordAndRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client()
	for i := range 5 {
		if code, _ := f.signIn(c, "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i, code)
		}
	}
	if code, body := f.signIn(c, "correct horse battery"); code != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
		t.Fatalf("after 5 failures: %d", code)
	}
	f.now = f.now.Add(16 * time.Minute)
	if code, _ := f.signIn(c, "correct horse battery"); code != http.StatusOK {
		t.Fatalf("after the window: %d", code)
	}
}

func TestCSRFAndSessionRequired(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk := f.openTicket("447700900003", 1, t0.Add(time.Hour))
	anon := f.client()
	anon.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if code, _ := f.get(anon, "/console/t/"+tk.ID); code != http.StatusSeeOther {
		t.Fatalf("anonymous ticket view: %d, want a redirect to sign in", code)
	}
	c := f.client()
	f.signIn(c, "correct horse battery")
	if code, _ := f.post(c, "/console/next", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Fatalf("forged csrf: %d", code)
	}
	// Sign-in itself needs the login form's token.
	if code, _ := f.post(f.client(), "/console/login", url.Values{"login": {"amina"}, "password": {"correct horse battery"}}); code != http.StatusForbidden {
		t.Fatalf("login without csrf: %d", code)
	}
	// A cross-site post is refused even with a valid token.
	_, home := f.get(c, "/console/")
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/console/next", strings.NewReader(url.Values{"csrf": {csrfOf(t, home)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin post: %d", resp.StatusCode)
	}
}

func TestRevealIsAuditedAndLoweringNeedsReason(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk := f.openTicket("447700900004", 2, t0.Add(time.Hour))
	c := f.client()
	f.signIn(c, "correct horse battery")
	_, page := f.get(c, "/console/t/"+tk.ID)
	_, page = f.post(c, "/console/t/"+tk.ID+"/reveal", url.Values{"csrf": {csrfOf(t, page)}})
	if !strings.Contains(page, "447700900004") {
		t.Fatal("reveal did not show the number")
	}
	code, page := f.post(c, "/console/t/"+tk.ID+"/priority", url.Values{"csrf": {csrfOf(t, page)}, "priority": {"routine"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "needs a reason") {
		t.Fatalf("lowering without reason: %d", code)
	}
	code, _ = f.post(c, "/console/t/"+tk.ID+"/priority", url.Values{"csrf": {csrfOf(t, page)}, "priority": {"routine"}, "reason": {"resolved by phone"}})
	if code != http.StatusOK {
		t.Fatalf("lowering with reason: %d", code)
	}
	entries, err := f.store.Audit().List(t.Context(), time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		for k, v := range e.Detail {
			if strings.Contains(v, "447700900004") {
				t.Fatalf("audit detail %s leaks the number", k)
			}
		}
	}
	joined := strings.Join(actions, ",")
	if !strings.Contains(joined, "contact.revealed") || !strings.Contains(joined, "ticket.priority_lowered") {
		t.Fatalf("audit = %s", joined)
	}
}

func TestOutsideWindowOffersTemplate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk := f.openTicket("447700900005", 0, t0.Add(time.Hour))
	f.now = f.now.Add(30 * time.Hour) // the person wrote 31 hours ago
	c := f.client()
	f.signIn(c, "correct horse battery")
	_, home := f.get(c, "/console/")
	_, page := f.post(c, "/console/next", url.Values{"csrf": {csrfOf(t, home)}})
	if !strings.Contains(page, "only an approved template") || strings.Contains(page, `id="reply-form"`) {
		t.Fatalf("outside the window the page must offer only the template:\n%s", page)
	}
	code, _ := f.post(c, "/console/t/"+tk.ID+"/template", url.Values{"csrf": {csrfOf(t, page)}, "text": {"Please write to us again."}})
	if code != http.StatusOK {
		t.Fatalf("template: %d", code)
	}
	tm, ok := f.sender.sent[0].m.(chat.Template)
	if !ok || tm.Name != "helpline_followup" || tm.Body[0].Value != "Please write to us again." {
		t.Fatalf("sent %+v", f.sender.sent[0].m)
	}
}

func TestSendFailureIsShown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.openTicket("447700900006", 0, t0.Add(time.Hour))
	f.sender.err = errors.New("whatsapp: outside the 24-hour window")
	c := f.client()
	f.signIn(c, "correct horse battery")
	_, home := f.get(c, "/console/")
	_, page := f.post(c, "/console/next", url.Values{"csrf": {csrfOf(t, home)}})
	id := regexp.MustCompile(`/console/t/([^/"]+)/reply`).FindStringSubmatch(page)[1]
	code, page := f.post(c, "/console/t/"+id+"/reply", url.Values{"csrf": {csrfOf(t, page)}, "text": {"hello"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "was not sent") {
		t.Fatalf("send failure: %d", code)
	}
}
