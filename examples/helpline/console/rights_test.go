package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

// withRights gives the console the line's consent service, on the
// fixture's store and clock, with the example notices.
func withRights(svc **consent.Service) func(f *fixture, cfg *Config) {
	return func(f *fixture, cfg *Config) {
		notices, err := consent.LoadNoticesFS(os.DirFS("../.."), "notices", "en")
		if err != nil {
			f.t.Fatal(err)
		}
		s, err := consent.New(f.store, notices, consent.WithClock(func() (t time.Time) { return f.now }))
		if err != nil {
			f.t.Fatal(err)
		}
		*svc, cfg.Rights = s, s
	}
}

var requestFormRE = regexp.MustCompile(`action="/console/requests/([^/"]+)/export"`)

// A person writes MY DATA: staff see the request with its due date (G9),
// without the person's number, extend it once with a reason, and prepare
// the copy, which completes the request and is audited. The copy comes as
// a file, never into the chat.
func TestRightsRequests(t *testing.T) {
	var svc *consent.Service
	f := newFixture(t, withRights(&svc))
	person := chat.Address{Channel: chat.ChannelWhatsApp, Line: "1065", Contact: "4915123456789"}
	ref := storage.ContactRef{Channel: person.Channel, Identifier: person.Contact}
	phone := chat.ReplierFunc(person, func(context.Context, chat.Outgoing) (chat.SendResult, error) {
		return chat.SendResult{MessageID: "wamid.out"}, nil
	})
	if err := svc.Gate(nil).Handle(t.Context(), phone, &chat.Message{ID: "wamid.in", From: person, Time: f.now, Kind: chat.KindText, Text: "MY DATA"}); err != nil {
		t.Fatal(err)
	}

	c := f.client()
	if code, _ := f.signIn(c, "correct horse battery"); code != http.StatusOK {
		t.Fatalf("sign in: %d", code)
	}
	code, body := f.get(c, "/console/requests")
	if code != http.StatusOK || !strings.Contains(body, "A copy of their data") || !strings.Contains(body, "2026-12-23") {
		t.Fatalf("requests page %d:\n%s", code, body)
	}
	if strings.Contains(body, "5123456789") {
		t.Fatal("the requests page shows the person's number")
	}
	m := requestFormRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no export form:\n%s", body)
	}
	event, csrf := m[1], csrfOf(t, body)

	if code, body := f.post(c, "/console/requests/"+event+"/extend", url.Values{"csrf": {csrf}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "needs a reason") {
		t.Fatalf("extend without a reason: %d\n%s", code, body)
	}
	if code, body := f.post(c, "/console/requests/"+event+"/extend", url.Values{"csrf": {csrf}, "reason": {"identity check by phone"}}); code != http.StatusOK || !strings.Contains(body, "(extended)") || !strings.Contains(body, "2027-02-23") {
		t.Fatalf("extend: %d\n%s", code, body)
	}

	resp, err := c.PostForm(f.srv.URL+"/console/requests/"+event+"/export", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	var copyOf consent.Export
	err = json.NewDecoder(resp.Body).Decode(&copyOf)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("export: %d %q, %v", resp.StatusCode, resp.Header.Get("Content-Disposition"), err)
	}
	if copyOf.Identifier != person.Contact || copyOf.Subject == "" {
		t.Fatalf("the copy names %q (subject %q)", copyOf.Identifier, copyOf.Subject)
	}
	if code, body := f.get(c, "/console/requests"); code != http.StatusOK || !strings.Contains(body, "No requests are open.") {
		t.Fatalf("after the export: %d\n%s", code, body)
	}
	if code, body := f.post(c, "/console/requests/"+event+"/export", url.Values{"csrf": {csrf}}); code != http.StatusConflict || !strings.Contains(body, "no longer open") {
		t.Fatalf("a second export: %d\n%s", code, body)
	}

	var actions []string
	entries, err := f.store.Audit().List(t.Context(), time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "rights.") {
			actions = append(actions, e.Action)
			if e.Target != copyOf.Subject || e.Actor == "" {
				t.Errorf("audit %+v: want the subject and the staff member", e)
			}
		}
	}
	if strings.Join(actions, ",") != "rights.extended,rights.exported" {
		t.Fatalf("audited %v", actions)
	}
	if _, err := svc.History(t.Context(), ref); err != nil {
		t.Fatal(err)
	}
}

// Without a consent service the console has no requests page.
func TestRightsPageNeedsAService(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	f.signIn(c, "correct horse battery")
	if code, _ := f.get(c, "/console/requests"); code != http.StatusNotFound {
		t.Fatalf("requests page without a service: %d", code)
	}
}
