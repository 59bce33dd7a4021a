package chat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// Events a put leased as Run stopped dispatching are not started: they go
// back to the inbox for a retry at once, and the slots taken for them are
// freed.
func TestHandOverAfterRunStoppedGivesEventsBack(t *testing.T) {
	st := memory.New()
	srv, err := NewServer(st, HandlerFunc(func(context.Context, Replier, *Message) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	if srv.direct == nil {
		t.Fatal("the memory inbox is not taken as a storage.PutClaimer")
	}
	ctx := t.Context()
	now := time.Now()
	items := []storage.InboxItem{{Key: "k1", Partition: "p1", Payload: []byte("x"), At: now}, {Key: "k2", Partition: "p2", Payload: []byte("y"), At: now}}
	_, leased, err := srv.direct.PutClaim(ctx, items, now, srv.owner, 2, time.Hour)
	if err != nil || len(leased) != 2 {
		t.Fatalf("put claim: %d leased, %v", len(leased), err)
	}
	r := &runState{work: context.Background(), sem: make(chan struct{}, 4), flights: map[int64]*flight{},
		parts: map[string]int{}, followers: map[string]int{}, jobs: make(chan job, 4)}
	r.sem <- struct{}{} // the slots reserve took, and one more than the put used
	r.sem <- struct{}{}
	r.sem <- struct{}{}
	srv.handOver(r, 3, leased, nil)
	if n := len(r.sem); n != 0 {
		t.Errorf("%d slots still taken", n)
	}
	if n := len(r.jobs); n != 0 {
		t.Errorf("%d events started after Run stopped", n)
	}
	cs, err := st.Inbox().Claim(ctx, "another", 10, time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("claimed %d events given back; want 2", len(cs))
	}
	for _, c := range cs {
		if !strings.Contains(c.LastError, "stopped") {
			t.Errorf("%s: last error %q; want the reason it was given back", c.Key, c.LastError)
		}
	}
}
