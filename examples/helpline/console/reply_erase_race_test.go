package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// eraseDuringSend is a sender (standing for consent.Guard over the Graph
// API) that passes the message, while, during the HTTP call, the person's
// DELETE is handled by a worker: the store erases them before the call
// returns.
type eraseDuringSend struct {
	store storage.Store
	ref   storage.ContactRef
}

func (s eraseDuringSend) Send(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	if err := s.store.Erase(ctx, s.ref); err != nil {
		return chat.SendResult{}, err
	}
	return chat.SendResult{MessageID: "wamid.staff-racing"}, nil
}

// A staff reply whose send races the person's erasure is not recorded after
// the erasure: console.send wrote the message record (the staff text and
// the person's number) once the send returned, and the store sealed it
// under a fresh data key, readable in their history afterwards.
func TestStaffReplyRacingErasureIsNotKept(t *testing.T) {
	t.Parallel()
	var ref storage.ContactRef
	f := newFixture(t, func(f *fixture, cfg *Config) {
		ref = storage.ContactRef{Channel: "whatsapp", Identifier: "447700900077"}
		cfg.Sender = eraseDuringSend{store: f.store, ref: ref}
	})
	f.openTicket(ref.Identifier, 0, t0.Add(time.Hour))
	c := f.client()
	if code, _ := f.signIn(c, "correct horse battery"); code != http.StatusOK {
		t.Fatalf("sign in: %d", code)
	}
	_, home := f.get(c, "/console/")
	code, page := f.post(c, "/console/next", url.Values{"csrf": {csrfOf(t, home)}})
	if code != http.StatusOK {
		t.Fatalf("next: %d", code)
	}
	tks, err := f.store.Tickets().List(t.Context(), storage.TicketFilter{States: []storage.TicketState{storage.TicketClaimed}})
	if err != nil || len(tks) != 1 {
		t.Fatalf("claimed tickets: %v %v", tks, err)
	}
	f.post(c, "/console/t/"+tks[0].ID+"/reply", url.Values{"csrf": {csrfOf(t, page)}, "text": {"Your appointment is on Monday at the Athens office"}})
	hist, err := f.store.Messages().History(t.Context(), ref, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range hist {
		t.Errorf("after the erasure, the person's history holds %s %q to %s", m.Direction, m.Body, m.Contact.Identifier)
	}
	if m, err := f.store.Messages().Get(t.Context(), "wamid.staff-racing"); err == nil && strings.Contains(m.Body, "Monday") {
		t.Errorf("message readable by id after erasure: %q", m.Body)
	}
}
