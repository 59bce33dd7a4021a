package main

import (
	"testing"

	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// C6: withdrawal works in one step, by keyword or button, in every
// configured language, at any time. While a conversation is urgent the
// screen holds back the person's messages, but lets through what consent
// asks it to (consent.Service.AsksForRights): a word consent knows and the
// triage lexicon does not (WITHDRAW, SUPPRIMER MES DONNEES, СКАСУВАТИ...),
// or a tap on consent's own withdraw button, still withdraws.
func TestWithdrawDuringUrgentConversation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		send func(l *line, person string)
	}{
		{"keyword WITHDRAW", func(l *line, person string) { l.say(person, "WITHDRAW") }},
		{"withdraw button", func(l *line, person string) {
			l.choose(person, whatsapptest.Choice{ID: consent.ChoiceWithdraw, Title: "Stop my consent"}, false)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := startLine(t)
			const person = "15550100094"
			ref := storage.ContactRef{Channel: "whatsapp", Identifier: person}
			l.agree(t, person)
			l.say(person, "he is hitting me")
			l.settle()

			tc.send(l, person)
			l.settle()
			st, found, err := l.app.consent.State(t.Context(), ref)
			if err != nil || !found {
				t.Fatalf("state: %v %v", found, err)
			}
			if got := st.Purposes["core"].State; got != "withdrawn" {
				t.Fatalf("after %s in an urgent conversation the core purpose is %q, want withdrawn", tc.name, got)
			}
		})
	}
}
