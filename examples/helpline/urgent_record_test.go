package main

import (
	"strings"
	"testing"

	"github.com/impactchat/impactchat/storage"
)

// A person who agreed writes an urgent message and then where they are. The
// screen handles both (safety acknowledgement, then "joins the conversation
// staff already have") and stops the chain there; the conversation log,
// which comes before it, keeps them for the staff member who takes the case.
func TestUrgentMessagesOfConsentedPersonAreKept(t *testing.T) {
	t.Parallel()
	l := startLine(t)
	const person = "15550100092"
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: person}
	l.agree(t, person)

	l.say(person, "where is the office")
	l.settle()
	l.say(person, "please help he is hitting me")
	l.settle()
	l.say(person, "I am at the bus station on Main street")
	l.settle()
	if _, err := l.app.store.Tickets().Active(t.Context(), ref); err != nil {
		t.Fatalf("no ticket: %v", err)
	}
	h, err := l.app.store.Messages().History(t.Context(), ref, 100)
	if err != nil {
		t.Fatal(err)
	}
	var urgent, where, routine bool
	for _, m := range h {
		if m.Direction != storage.Inbound {
			continue
		}
		urgent = urgent || strings.Contains(m.Body, "hitting me")
		where = where || strings.Contains(m.Body, "bus station")
		routine = routine || strings.Contains(m.Body, "where is the office")
	}
	if !urgent || !where {
		t.Fatalf("conversation log of a consented person lacks their urgent messages (routine kept: %v, urgent kept: %v, follow-up kept: %v)", routine, urgent, where)
	}
}
