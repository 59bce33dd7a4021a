package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
	"golang.org/x/crypto/bcrypt"
)

// line is a running helpline in simulator mode, driven as Meta would drive
// it: every message enters through a signed webhook.
type line struct {
	t   *testing.T
	app *app

	mu  sync.Mutex
	now time.Time
}

func (l *line) clock() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now
}

func (l *line) advance(d time.Duration) {
	l.mu.Lock()
	l.now = l.now.Add(d)
	l.mu.Unlock()
}

// startLine runs the helpline's real server code on a fresh SQLite file.
func startLine(t *testing.T) *line {
	t.Helper()
	// A Wednesday at 11:00 in the line's time zone: the office is open.
	l := &line{t: t, now: time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)}
	cfg := config{
		addr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "line.db"), phone: false,
		now: l.clock, getenv: func(string) string { return "" },
	}
	a, err := newApp(t.Context(), cfg, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	l.app = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, strings.NewReader("")) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the line did not stop cleanly: %v", err)
		}
	})
	return l
}

func (l *line) say(from, text string) {
	l.t.Helper()
	in := whatsapptest.Inbound{PhoneNumberID: l.app.lineID, From: from, Text: text, Time: l.clock()}
	if _, err := l.app.sim.DeliverMessage(l.t.Context(), l.app.baseURL+"/webhook", l.app.appSecret, in); err != nil {
		l.t.Fatalf("deliver %q: %v", text, err)
	}
}

func (l *line) choose(from string, o whatsapptest.Choice, list bool) {
	l.t.Helper()
	r := &whatsapptest.Reply{ID: o.ID, Title: o.Title}
	in := whatsapptest.Inbound{PhoneNumberID: l.app.lineID, From: from, Time: l.clock()}
	if list {
		in.ListReply = r
	} else {
		in.ButtonReply = r
	}
	if _, err := l.app.sim.DeliverMessage(l.t.Context(), l.app.baseURL+"/webhook", l.app.appSecret, in); err != nil {
		l.t.Fatalf("deliver choice %q: %v", o.ID, err)
	}
}

// sentTo returns what the line sent to a person, in order.
func (l *line) sentTo(to string) []whatsapptest.Sent {
	var out []whatsapptest.Sent
	for _, s := range l.app.sim.Sent() {
		if strings.TrimPrefix(s.To, "+") == to {
			out = append(out, s)
		}
	}
	return out
}

// waitFor waits until the person has received at least n messages and
// returns them. The deadline is generous: it only stops a broken test.
func (l *line) waitFor(to string, n int) []whatsapptest.Sent {
	l.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := l.sentTo(to)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("waited for %d messages to %s, got %d: %s", n, to, len(got), texts(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitMenu waits until the person has received the main menu (a message
// with at least four options) and returns everything sent to them so far.
func (l *line) waitMenu(to string) ([]whatsapptest.Sent, whatsapptest.Sent) {
	l.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := l.sentTo(to)
		for _, s := range got {
			if len(s.Options) >= 4 {
				return got, s
			}
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("no menu for %s: %s", to, texts(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits until the runtime has handled everything delivered so far.
// agree has the person write, accept the notice and get the menu.
func (l *line) agree(t *testing.T, person string) {
	t.Helper()
	l.say(person, "hello")
	notice := l.waitFor(person, 1)[0]
	l.choose(person, option(t, notice, consent.ChoiceAccept), false)
	l.waitMenu(person)
	l.settle()
}

func (l *line) settle() {
	l.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := l.app.store.Inbox().Stats(l.t.Context())
		if err != nil {
			l.t.Fatal(err)
		}
		if st.Pending == 0 && st.Leased == 0 {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("the inbox did not drain: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func texts(ss []whatsapptest.Sent) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("\n  [" + s.Type + "] " + s.Text)
	}
	return b.String()
}

func option(t *testing.T, s whatsapptest.Sent, id string) whatsapptest.Choice {
	t.Helper()
	for _, o := range s.Options {
		if o.ID == id || strings.HasSuffix(o.ID, id) {
			return o
		}
	}
	t.Fatalf("no option %q in %q (options %+v)", id, s.Text, s.Options)
	return whatsapptest.Choice{}
}

func TestFirstContactNoticeAcceptMenuAnswer(t *testing.T) {
	t.Parallel()
	l := startLine(t)
	const person = "15550100001"
	l.say(person, "hello")
	got := l.waitFor(person, 1)
	notice := got[0]
	if !strings.Contains(notice.Text, "what happens to your messages") || len(notice.Options) < 2 {
		t.Fatalf("the first message must be the notice with choices, got %s", texts(got))
	}
	l.settle()
	if h, _ := l.app.store.Messages().History(t.Context(), storage.ContactRef{Channel: "whatsapp", Identifier: person}, 10); len(h) > 0 {
		for _, m := range h {
			if m.Direction == storage.Inbound {
				t.Fatalf("an inbound message was kept before consent: %+v", m)
			}
		}
	}
	l.choose(person, option(t, notice, consent.ChoiceAccept), false)
	_, menu := l.waitMenu(person)
	l.settle()
	got = l.sentTo(person)
	l.choose(person, option(t, menu, "rights"), menu.Interactive == "list")
	got = l.waitFor(person, len(got)+1)
	if !strings.Contains(texts(got), "right to ask for asylum") {
		t.Fatalf("no answer about rights: %s", texts(got))
	}
}

func TestUrgentBeforeConsentReachesQueue(t *testing.T) {
	t.Parallel()
	l := startLine(t)
	const person = "15550100002"
	l.say(person, "please help he is hitting me")
	got := l.waitFor(person, 1)
	if !strings.Contains(got[0].Text, "staff has been alerted") {
		t.Fatalf("the first answer to an urgent message must be the safety acknowledgement, got %s", texts(got))
	}
	l.settle()
	tk, err := l.app.store.Tickets().Active(t.Context(), storage.ContactRef{Channel: "whatsapp", Identifier: person})
	if err != nil {
		t.Fatalf("no ticket for the urgent case: %v", err)
	}
	if tk.Priority < 2 {
		t.Fatalf("ticket priority %d, want urgent or critical", tk.Priority)
	}
	for _, s := range l.sentTo(person) {
		if strings.Contains(s.Text, "Welcome to the refugee information line") {
			t.Fatal("the bot answered an urgent conversation")
		}
	}
}

func TestStopAndDelete(t *testing.T) {
	t.Parallel()
	l := startLine(t)
	const person = "15550100003"
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: person}
	l.agree(t, person)
	n := len(l.sentTo(person))

	l.say(person, "STOP")
	got := l.waitFor(person, n+1)
	l.settle()
	st, found, err := l.app.consent.State(t.Context(), ref)
	if err != nil || !found || st.Purposes["core"].State != "withdrawn" {
		t.Fatalf("after STOP the core purpose is %+v (found %v, err %v)", st.Purposes["core"], found, err)
	}
	n = len(got)

	l.say(person, "DELETE")
	l.waitFor(person, n+1)
	l.settle()
	if _, err := l.app.store.Contacts().Get(t.Context(), ref); err == nil {
		t.Fatal("the contact is still there after DELETE")
	}
	if h, _ := l.app.store.Messages().History(t.Context(), ref, 100); len(h) != 0 {
		t.Fatalf("%d messages kept after DELETE", len(h))
	}
	st, found, _ = l.app.consent.State(t.Context(), ref)
	if !found || !st.Erased {
		t.Fatalf("no erasure tombstone: %+v", st)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// staffSession signs a staff member in to the console over HTTP.
type staffSession struct {
	t    *testing.T
	base string
	c    *http.Client
	page string
}

func signIn(t *testing.T, l *line) *staffSession {
	t.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte("a long enough password"), bcrypt.MinCost)
	if _, err := l.app.store.Staff().Create(t.Context(), storage.StaffAccount{Login: "amina", Name: "Amina", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	s := &staffSession{t: t, base: l.app.baseURL, c: &http.Client{Jar: jar}}
	s.login()
	return s
}

func (s *staffSession) login() {
	s.t.Helper()
	s.get("/console/login")
	s.post("/console/login", url.Values{"login": {"amina"}, "password": {"a long enough password"}})
	if !strings.Contains(s.page, "Take the most urgent") {
		s.t.Fatalf("sign-in failed:\n%s", s.page)
	}
}

func (s *staffSession) get(path string) {
	s.t.Helper()
	resp, err := s.c.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.page = string(b)
}

func (s *staffSession) post(path string, form url.Values) int {
	s.t.Helper()
	if m := csrfRE.FindStringSubmatch(s.page); m != nil {
		form.Set("csrf", m[1])
	}
	resp, err := s.c.PostForm(s.base+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.page = string(b)
	return resp.StatusCode
}

func TestStaffReplyInsideAndOutsideWindow(t *testing.T) {
	t.Parallel()
	l := startLine(t)
	const person = "15550100004"
	l.agree(t, person)
	l.say(person, "I want to talk to a person")
	l.settle()
	if _, err := l.app.store.Tickets().Active(t.Context(), storage.ContactRef{Channel: "whatsapp", Identifier: person}); err != nil {
		t.Fatalf("asking for a person opened no ticket: %v\n%s", err, texts(l.sentTo(person)))
	}

	s := signIn(t, l)
	s.post("/console/next", url.Values{})
	id := regexp.MustCompile(`/console/t/([^/"]+)/reply`).FindStringSubmatch(s.page)
	if id == nil {
		t.Fatalf("inside the window the console must offer a free reply:\n%s", s.page)
	}
	before := len(l.sentTo(person))
	if code := s.post("/console/t/"+id[1]+"/reply", url.Values{"text": {"Hello, I am Amina from the team. How can I help?"}}); code != http.StatusOK {
		t.Fatalf("reply: %d\n%s", code, s.page)
	}
	got := l.waitFor(person, before+1)
	if last := got[len(got)-1]; last.Type != "text" || !strings.Contains(last.Text, "I am Amina") {
		t.Fatalf("the staff reply did not reach the person: %s", texts(got))
	}

	// A day and a half later the window has closed: only the template goes.
	l.advance(36 * time.Hour)
	s.login() // the console session lasted 12 hours
	s.get("/console/t/" + id[1])
	if strings.Contains(s.page, `id="reply-form"`) || !strings.Contains(s.page, "only an approved template") {
		t.Fatalf("outside the window the console must offer only the template:\n%s", s.page)
	}
	if code := s.post("/console/t/"+id[1]+"/reply", url.Values{"text": {"still there?"}}); code == http.StatusOK && strings.Contains(s.page, "Sent.") {
		t.Fatal("a free-form reply went out after the window closed")
	}
	s.get("/console/t/" + id[1])
	if code := s.post("/console/t/"+id[1]+"/template", url.Values{"text": {"your appointment is on Monday"}}); code != http.StatusOK {
		t.Fatalf("template: %d\n%s", code, s.page)
	}
	got = l.waitFor(person, before+2)
	if last := got[len(got)-1]; last.Type != "template" || last.Template != "helpline_followup" {
		t.Fatalf("the template did not go out: %s", texts(got))
	}
}
