package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/sqlstore"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/sqlite"
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

// TestConcurrentAcks has many workers ack at once, so that acks share
// commits, some of them with a context already cancelled or a lease they
// do not hold: each caller gets its own outcome.
func TestConcurrentAcks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openTemp(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	in := st.Inbox()
	const n = 60
	items := make([]storage.InboxItem, n)
	for i := range items {
		items[i] = storage.InboxItem{Key: fmt.Sprintf("k%d", i), Partition: fmt.Sprintf("p%d", i), Payload: []byte("x")}
	}
	if _, err := in.Put(ctx, items, now); err != nil {
		t.Fatal(err)
	}
	cs, err := in.Claim(ctx, "w", n, time.Minute, now)
	if err != nil || len(cs) != n {
		t.Fatalf("claim: %d, %v", len(cs), err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			switch i % 3 {
			case 0:
				errs[i] = in.Ack(ctx, "w", c.Seq)
			case 1:
				errs[i] = in.Ack(cancelled, "w", c.Seq)
			case 2:
				errs[i] = in.Ack(ctx, "someone else", c.Seq)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		var want error
		switch i % 3 {
		case 1:
			want = context.Canceled
		case 2:
			want = storage.ErrLeaseLost
		}
		if (want == nil && err != nil) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("ack %d: %v; want %v", i, err, want)
		}
	}
	stats, err := in.Stats(ctx)
	if err != nil || stats != (storage.InboxStats{Leased: 2 * n / 3, Done: n / 3}) {
		t.Fatalf("stats = %+v, %v", stats, err)
	}
}

func TestPurgeInChunks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openTemp(t, sqlite.WithSynchronous("normal"))
	in := st.Inbox()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	n := 12000 // more than two purge chunks
	if raceEnabled {
		n = 600
	}
	items := make([]storage.InboxItem, n)
	for i := range items {
		items[i] = storage.InboxItem{Key: fmt.Sprintf("k%d", i), Partition: fmt.Sprintf("p%d", i%500)}
	}
	if _, err := in.Put(ctx, items, now); err != nil {
		t.Fatal(err)
	}
	for {
		cs, err := in.Claim(ctx, "w", 1000, time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		seqs := make([]int64, len(cs))
		for i, c := range cs {
			seqs[i] = c.Seq
		}
		if _, err := in.(sqlstore.BatchAcker).AckBatch(ctx, "w", seqs); err != nil {
			t.Fatal(err)
		}
	}
	got, err := in.Purge(ctx, now.Add(time.Second))
	if err != nil || got != n {
		t.Fatalf("Purge = %d, %v; want %d", got, err, n)
	}
	if stats, err := in.Stats(ctx); err != nil || stats != (storage.InboxStats{}) {
		t.Fatalf("stats after purge = %+v, %v", stats, err)
	}
	// Keys are forgotten: the same events are new again.
	res, err := in.Put(ctx, items[:3], now)
	if err != nil || !res.Fresh[0] || !res.Fresh[2] {
		t.Fatalf("put after purge: %v, %v", res.Fresh, err)
	}
}

// queryPlan is SQLite's plan for query with args, its steps joined by "; ".
func queryPlan(t *testing.T, path, query string, args ...any) string {
	t.Helper()
	rows, err := raw(t, path).Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(plan, "; ")
	t.Logf("plan: %s", joined)
	return joined
}

// TestStatsScansNoItems checks that Stats reads the live states from the
// partial indexes and counts no acked item: a health
// check must not scan the items kept for deduplication.
func TestStatsScansNoItems(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	joined := queryPlan(t, st.Path(), sqlite.InboxStatsQuery)
	if !strings.Contains(joined, "INDEX inbox_queue") || !strings.Contains(joined, "INDEX inbox_dead") ||
		strings.Contains(joined, "SCAN inbox;") || strings.HasSuffix(joined, "SCAN inbox") {
		t.Fatalf("stats plan: %s", joined)
	}
}

// TestBusyPartitionsReadTheActiveIndex checks that PutClaim's look-up of
// busy partitions reads the index of active items, not the items kept for
// deduplication.
func TestBusyPartitionsReadTheActiveIndex(t *testing.T) {
	t.Parallel()
	st := openTemp(t)
	args := []any{[]byte("p1"), []byte("p2"), []byte("p3")}
	joined := queryPlan(t, st.Path(), sqlstore.BusyPartsQuery(len(args)), args...)
	if !strings.Contains(joined, "INDEX inbox_active") || strings.Contains(joined, "SCAN inbox") {
		t.Fatalf("busy partitions plan: %s", joined)
	}
}

// TestStatsCountsAcked follows the acked count through every way an item
// enters or leaves that state: ack, batch ack, erasure, purge.
func TestStatsCountsAcked(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openTemp(t)
	in := st.Inbox()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "4915100000009"}
	items := []storage.InboxItem{
		{Key: "a", Partition: "p1", Payload: []byte("1")},
		{Key: "b", Partition: "p2", Payload: []byte("2")},
		{Key: "c", Partition: "p3", Payload: []byte("3")},
		{Key: "d", Partition: storage.PartitionOf(ref), Payload: []byte("4")},
	}
	if _, err := in.Put(ctx, items, now); err != nil {
		t.Fatal(err)
	}
	cs, err := in.Claim(ctx, "w", 2, time.Minute, now)
	if err != nil || len(cs) != 2 {
		t.Fatalf("claim: %d, %v", len(cs), err)
	}
	if err := in.Ack(ctx, "w", cs[0].Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := in.(sqlstore.BatchAcker).AckBatch(ctx, "w", []int64{cs[1].Seq}); err != nil {
		t.Fatal(err)
	}
	want := func(s storage.InboxStats) {
		t.Helper()
		if got, err := in.Stats(ctx); err != nil || got != s {
			t.Fatalf("stats = %+v, %v; want %+v", got, err, s)
		}
	}
	want(storage.InboxStats{Pending: 2, Done: 2})
	if err := st.Erase(ctx, ref); err != nil {
		t.Fatal(err)
	}
	want(storage.InboxStats{Pending: 1, Done: 3})
	if _, err := in.Put(ctx, items, now.Add(time.Hour)); err != nil { // duplicates change nothing
		t.Fatal(err)
	}
	want(storage.InboxStats{Pending: 1, Done: 3})
	if n, err := in.Purge(ctx, now.Add(time.Minute)); err != nil || n != 3 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	want(storage.InboxStats{Pending: 1})
}
