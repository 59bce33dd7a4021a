package consent

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

type countingConsent struct {
	storage.ConsentLog
	states atomic.Int64
}

func (c *countingConsent) State(ctx context.Context, ref storage.ContactRef) (storage.ConsentState, error) {
	c.states.Add(1)
	return c.ConsentLog.State(ctx, ref)
}

type countingStore struct {
	storage.Store
	log *countingConsent
}

func (s countingStore) Consent() storage.ConsentLog { return s.log }

func TestGuardUsesTheGatesReadOfThisMessage(t *testing.T) {
	notices, err := LoadNotices("../examples/notices", "en")
	if err != nil {
		t.Fatal(err)
	}
	base := memory.New()
	log := &countingConsent{ConsentLog: base.Consent()}
	now := time.Unix(1_800_000_000, 0)
	svc, err := New(countingStore{Store: base, log: log}, notices, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	ref := storage.ContactRef{Channel: chat.ChannelWhatsApp, Identifier: "16505551234"}
	ctx := context.Background()

	st, found, err := svc.State(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	mctx := withStateMemo(ctx, ref, st, found, now)
	reads := log.states.Load()
	if _, _, err := svc.memoState(mctx, ref); err != nil || log.states.Load() != reads {
		t.Fatalf("memoState read the store (%d -> %d, %v); the gate's read holds", reads, log.states.Load(), err)
	}
	other := storage.ContactRef{Channel: chat.ChannelWhatsApp, Identifier: "16505550000"}
	if _, _, _ = svc.memoState(mctx, other); log.states.Load() != reads+1 {
		t.Fatal("another person's state came from the memo")
	}

	// A change through the Service with this context forgets it.
	if _, err := svc.appendEvent(mctx, ref, entry{typ: EventGranted, purposes: []chat.Purpose{chat.PurposeCore}, method: "test"}); err != nil {
		t.Fatal(err)
	}
	reads = log.states.Load()
	got, found, err := svc.memoState(mctx, ref)
	if err != nil || log.states.Load() != reads+1 || !found || got.LastEvent == "" {
		t.Fatalf("after a change: %+v found=%v err=%v, %d reads; want the new state from the store", got, found, err, log.states.Load()-reads)
	}

	// And it is trusted for a short while only.
	mctx = withStateMemo(ctx, ref, got, true, now)
	now = now.Add(stateMemoFor)
	reads = log.states.Load()
	if _, _, _ = svc.memoState(mctx, ref); log.states.Load() != reads+1 {
		t.Fatal("a memo older than stateMemoFor was trusted")
	}
}
