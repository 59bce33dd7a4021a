package consent_test

import (
	"context"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// RecordGranted keeps the messages of a person whose core purpose is
// granted, before whatever follows it in the chain (a screen that stops
// there included), and nothing of a person who has not agreed.
func TestRecordGrantedKeepsOnlyAgreedPeople(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	stop := chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil }) // as an urgent screen does
	h := chat.Chain(stop, e.svc.RecordGranted(e.store.Messages()))
	agreed, stranger := addr("15550100301"), addr("15550100302")
	e.agree(agreed)
	for _, who := range []chat.Address{agreed, stranger} {
		m := &chat.Message{ID: "wamid.rg." + who.Contact, From: who, Kind: chat.KindText, Text: "he is hitting me", Time: e.clock.Now()}
		if err := h.Handle(ctx, chat.SenderReplier(e.channel, who), m); err != nil {
			t.Fatal(err)
		}
	}
	kept := func(who chat.Address) bool {
		h, err := e.store.Messages().History(ctx, refOf(who), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range h {
			if m.Direction == storage.Inbound && m.Body == "he is hitting me" {
				return true
			}
		}
		return false
	}
	if !kept(agreed) {
		t.Error("the message of a person who agreed was not kept")
	}
	if kept(stranger) {
		t.Error("the message of a person who has not agreed was kept")
	}
}
