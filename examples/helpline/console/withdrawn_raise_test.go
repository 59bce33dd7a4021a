package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

// A person who withdrew (STOP) has a routine ticket. The guard refuses the
// staff reply. An urgent ticket's replies go out with chat.ExemptSafety,
// which the guard passes (vital interest), so making a ticket urgent is not
// a click away: it needs a reason and the ticket held, and the reply here
// stays refused.
func TestReplyToWithdrawnPersonNotUnlockedByARaise(t *testing.T) {
	f := newFixture(t)
	notices, err := consent.LoadNotices("../../notices", "en")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := consent.New(f.store, notices, consent.WithClock(func() time.Time { return f.now }))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return f.now }
	con, err := New(Config{Store: f.store, Queue: StoreQueue{Store: f.store, Now: clock}, Sender: svc.Guard(f.sender),
		Line: "1065", Key: []byte(strings.Repeat("k", 32)), InsecureCookies: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(con)
	t.Cleanup(f.srv.Close)
	tk := f.openTicket("447700900020", 0, t0.Add(time.Hour))
	if err := svc.Withdraw(t.Context(), storage.ContactRef{Channel: "whatsapp", Identifier: "447700900020"}, consent.Request{Method: "whatsapp:keyword:STOP"}); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	f.signIn(c, "correct horse battery")
	_, home := f.get(c, "/console/")
	_, page := f.post(c, "/console/next", url.Values{"csrf": {csrfOf(t, home)}})
	code, page := f.post(c, "/console/t/"+tk.ID+"/reply", url.Values{"csrf": {csrfOf(t, page)}, "text": {"hello"}})
	if code != http.StatusUnprocessableEntity || len(f.sender.sent) != 0 {
		t.Fatalf("reply to a withdrawn person on a routine ticket: %d, sent %d", code, len(f.sender.sent))
	}
	f.post(c, "/console/t/"+tk.ID+"/priority", url.Values{"csrf": {csrfOf(t, page)}, "priority": {"urgent"}})
	_, page = f.get(c, "/console/t/"+tk.ID)
	f.post(c, "/console/t/"+tk.ID+"/reply", url.Values{"csrf": {csrfOf(t, page)}, "text": {"are you still there?"}})
	if len(f.sender.sent) != 0 {
		t.Fatalf("after raising the ticket to urgent, a free-text reply reached the person who withdrew (intent %+v)", f.sender.sent[0].in)
	}
}
