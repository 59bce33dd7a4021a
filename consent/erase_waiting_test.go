package consent_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// A person writes DELETE and, right after, another message, which waits in
// the inbox behind the DELETE being handled (the runtime handles one
// message of a person at a time). The erasure waits for it: Store.Erase
// would drop it before it was screened, an urgent one too (it used to).
// Once the waiting message is handled, the erasure finishes.
func TestErasureWaitsForMessagesBehindIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	who := addr("4915123456702")
	ref := refOf(who)
	e.written(t, who, "hello")
	e.tapped(t, who, "consent.accept")
	part := storage.PartitionOf(ref)
	if _, err := e.store.Inbox().Put(ctx, []storage.InboxItem{{Key: "wamid.after-delete", Partition: part,
		Payload: []byte("he is hitting me, help"), At: e.clock.Now()}}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.written(t, who, "DELETE")
	if n, err := e.store.Inbox().Pending(ctx, part); err != nil || n != 1 {
		t.Fatalf("pending %d, %v: the message sent after DELETE was dropped unhandled", n, err)
	}
	if st, _, err := e.svc.State(ctx, ref); err != nil || st.Erased {
		t.Fatalf("erased with a message waiting: %+v, %v", st, err)
	}
	e.channel.take()

	// The runtime hands the waiting message over (the screen has seen it)
	// and acks it; its handling finishes the erasure, and says nothing.
	cs, err := e.store.Inbox().Claim(ctx, "w", 1, time.Minute, e.clock.Now())
	if err != nil || len(cs) != 1 {
		t.Fatalf("claim: %d, %v", len(cs), err)
	}
	if err := e.store.Inbox().Ack(ctx, "w", cs[0].Seq); err != nil {
		t.Fatal(err)
	}
	e.written(t, who, "he is hitting me, help")
	if got := e.channel.take(); len(got) != 0 {
		t.Errorf("%d messages sent to a person whose erasure was finishing; want none", len(got))
	}
	st, _, err := e.svc.State(ctx, ref)
	if err != nil || !st.Erased {
		t.Fatalf("not erased after the waiting message was handled: %+v, %v", st, err)
	}
	if _, err := e.store.Contacts().Get(ctx, ref); err == nil {
		t.Fatal("the contact is still kept")
	}
}
