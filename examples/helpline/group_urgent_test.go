package main

import (
	"testing"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// An urgent message posted in a group the line is in is still screened and
// reaches a person (C2, T3: urgent screening on every inbound message):
// directOnly, which keeps group messages from the bot, runs after the screen.
func TestUrgentGroupMessageReachesQueue(t *testing.T) {
	t.Parallel()
	l := startLine(t)
	const person = "15550100091"
	in := whatsapptest.Inbound{PhoneNumberID: l.app.lineID, From: person, Text: "please help he is hitting me", Time: l.clock(), Group: "120363000000000001"}
	if _, err := l.app.sim.DeliverMessage(t.Context(), l.app.baseURL+"/webhook", l.app.appSecret, in); err != nil {
		t.Fatal(err)
	}
	l.settle()
	if _, err := l.app.store.Tickets().Active(t.Context(), storage.ContactRef{Channel: "whatsapp", Identifier: person}); err != nil {
		t.Fatalf("an urgent message posted in a group opened no ticket (it was dropped before the screen): %v", err)
	}
}
