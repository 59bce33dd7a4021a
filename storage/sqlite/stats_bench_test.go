package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/sqlstore"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// BenchmarkInboxStats measures Stats, which health checks call, on an
// inbox holding 20,000 acked items (kept for deduplication) and 100 live
// ones.
func BenchmarkInboxStats(b *testing.B) {
	st := openTemp(b, sqlite.WithSynchronous("normal"))
	ctx := b.Context()
	in := st.Inbox()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	n := 0
	put := func(count int) {
		items := make([]storage.InboxItem, count)
		for i := range items {
			n++
			items[i] = storage.InboxItem{Key: fmt.Sprintf("wamid.%012d", n), Partition: fmt.Sprintf("p%d", n), Payload: make([]byte, 200), At: now}
		}
		if _, err := in.Put(ctx, items, now); err != nil {
			b.Fatal(err)
		}
	}
	for range 20 {
		put(1000)
		cs, err := in.Claim(ctx, "w", 1000, time.Minute, now)
		if err != nil {
			b.Fatal(err)
		}
		seqs := make([]int64, len(cs))
		for i, c := range cs {
			seqs[i] = c.Seq
		}
		if _, err := in.(sqlstore.BatchAcker).AckBatch(ctx, "w", seqs); err != nil {
			b.Fatal(err)
		}
	}
	put(100)
	want := storage.InboxStats{Pending: 100, Done: 20000}
	if s, err := in.Stats(ctx); err != nil || s != want {
		b.Fatalf("stats = %+v, %v; want %+v", s, err, want)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := in.Stats(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
