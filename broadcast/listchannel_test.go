package broadcast_test

import (
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// A list segment that names a person on another channel than the
// campaign's is refused at Start: consent would be read for the ref as
// listed (the person agreed on SMS), while the message would go out on the
// campaign's channel (WhatsApp) to an identity that never agreed.
func TestListTargetOnAnotherChannelRefused(t *testing.T) {
	ctx := t.Context()
	st := memory.New()
	now := time.Now()
	sms := storage.ContactRef{Channel: "sms", Identifier: phone(0)}
	if err := st.Consent().SaveState(ctx, "", storage.ConsentState{Contact: sms, Purposes: granted(now, chat.PurposeCore, chat.PurposeFollowUp), UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	snd := &recorder{}
	r := newRunner(t, st, snd, broadcast.WithThroughput(1000))
	spec := alertSpec() // Channel empty: WhatsApp
	spec.Segment.List = []broadcast.Target{{Contact: sms}}
	_, err := r.Start(ctx, spec)
	var fe *storage.FieldError
	if !errors.Is(err, chat.ErrInvalid) && !errors.As(err, &fe) {
		t.Fatalf("Start = %v; want an invalid-field error", err)
	}
	if errors.As(err, &fe) && fe.Field != "segment.list[0].contact.channel" {
		t.Errorf("field %q; want segment.list[0].contact.channel", fe.Field)
	}
	if snd.count(phone(0)) != 0 {
		t.Errorf("sent to %s", chat.ChannelWhatsApp)
	}
}
