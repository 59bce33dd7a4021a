package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/storage"
)

// Lowering a priority from the console with a reason over triage's 200-byte
// limit tells staff the limit: it gave a 500 "Something went wrong on our
// side" page that named neither the field nor the limit.
func TestConsoleLowerReasonTooLongIsExplained(t *testing.T) {
	l := startLine(t)
	s := signIn(t, l)
	tk, _, err := l.app.store.Tickets().Open(t.Context(), storage.Ticket{Contact: storage.ContactRef{Channel: "whatsapp", Identifier: "15550100777"},
		Queue: "general", Priority: 2, State: storage.TicketOpen}, l.clock())
	if err != nil {
		t.Fatal(err)
	}
	s.get("/console/t/" + tk.ID)
	code := s.post("/console/t/"+tk.ID+"/priority", url.Values{"priority": {"routine"}, "reason": {strings.Repeat("r", 250)}})
	if code == http.StatusInternalServerError || !strings.Contains(s.page, "200") {
		t.Fatalf("a 250-character reason for lowering got status %d and this page, which names neither the field nor the limit:\n%s", code, s.page)
	}
}
