package console

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"golang.org/x/crypto/bcrypt"
)

// A session cookie captured before sign-out opens nothing after it: signing
// out moves the account's version on, which every session carries.
func TestSessionEndsAtLogout(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	if code, _ := f.signIn(c, "correct horse battery"); code != http.StatusOK {
		t.Fatalf("sign in: %d", code)
	}
	u, _ := url.Parse(f.srv.URL + "/console/")
	var stolen *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			stolen = ck
		}
	}
	if stolen == nil {
		t.Fatal("no session cookie")
	}
	_, home := f.get(c, "/console/")
	if code, page := f.post(c, "/console/logout", url.Values{"csrf": {csrfOf(t, home)}}); code != http.StatusOK || !strings.Contains(page, "Sign in") {
		t.Fatalf("logout: %d", code)
	}
	// Replay the cookie captured before sign-out.
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/console/", nil)
	req.AddCookie(&http.Cookie{Name: stolen.Name, Value: stolen.Value})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("the session cookie still opens the console after sign-out (status %d)", resp.StatusCode)
	}
}

// Every sign-in attempt is counted before the password is checked, in the
// same step as the limit's check, so parallel guesses cannot all pass the
// check: no more than 5 wrong passwords are tried within the window.
func TestParallelGuessesKeepTheLimit(t *testing.T) {
	f := newFixture(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("a real long password"), bcrypt.DefaultCost) // what adduser uses
	if _, err := f.store.Staff().Create(t.Context(), storage.StaffAccount{Login: "bilal", Name: "Bilal", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	const n = 30
	clients := make([]*http.Client, n)
	tokens := make([]string, n)
	for i := range n {
		clients[i] = f.client()
		_, body := f.get(clients[i], "/console/login")
		tokens[i] = csrfOf(t, body)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := clients[i].PostForm(f.srv.URL+"/console/login", url.Values{"csrf": {tokens[i]}, "login": {"bilal"}, "password": {"guess" + time.Duration(i).String()}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if codes[http.StatusUnauthorized] > 5 {
		t.Fatalf("%d password guesses were checked in one window (limit 5); statuses %v", codes[http.StatusUnauthorized], codes)
	}
}

// S8: a staff member opening a conversation (history with message text) is
// recorded in the audit log.
func TestTicketViewAudited(t *testing.T) {
	f := newFixture(t)
	tk := f.openTicket("447700900010", 1, t0.Add(time.Hour))
	c := f.client()
	f.signIn(c, "correct horse battery")
	before, _ := f.store.Audit().List(t.Context(), time.Time{}, 1000)
	code, page := f.get(c, "/console/t/"+tk.ID)
	if code != http.StatusOK || !strings.Contains(page, "message for ticket 010") {
		t.Fatalf("view: %d", code)
	}
	after, _ := f.store.Audit().List(t.Context(), time.Time{}, 1000)
	if len(after) == len(before) {
		t.Fatalf("a staff member read the conversation of ticket %s (not assigned to them) and the audit log has no entry for it", tk.ID)
	}
}
