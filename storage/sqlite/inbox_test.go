package sqlite_test

import (
	"slices"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/sqlstore"
	"github.com/impactchat/impactchat/storage"
)

func TestAckBatch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openTemp(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	in := st.Inbox()
	if _, err := in.Put(ctx, []storage.InboxItem{
		{Key: "a", Partition: "p1", Payload: []byte("1")},
		{Key: "b", Partition: "p2", Payload: []byte("2")},
		{Key: "c", Partition: "p3", Payload: []byte("3")},
	}, now); err != nil {
		t.Fatal(err)
	}
	cs, err := in.Claim(ctx, "w1", 10, time.Minute, now)
	if err != nil || len(cs) != 3 {
		t.Fatalf("claim: %d, %v", len(cs), err)
	}
	// The lease of c expires and another worker takes it.
	if err := in.Extend(ctx, "w1", cs[2].Seq, time.Second, now); err != nil {
		t.Fatal(err)
	}
	if got, err := in.Claim(ctx, "w2", 10, time.Minute, now.Add(2*time.Second)); err != nil || len(got) != 1 {
		t.Fatalf("reclaim: %d, %v", len(got), err)
	}
	lost, err := in.(sqlstore.BatchAcker).AckBatch(ctx, "w1", []int64{cs[0].Seq, cs[1].Seq, cs[2].Seq})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lost, []int64{cs[2].Seq}) {
		t.Fatalf("lost = %v; want [%d]", lost, cs[2].Seq)
	}
	stats, err := in.Stats(ctx)
	if err != nil || stats != (storage.InboxStats{Leased: 1, Done: 2}) {
		t.Fatalf("stats = %+v, %v", stats, err)
	}
}
