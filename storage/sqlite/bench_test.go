package sqlite_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/sqlstore"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// BenchmarkInbox measures the inbox's whole cycle for batches of events:
// one Put of the batch, Claims until all are leased, and an Ack per event,
// as the runtime does. Events are spread over many contacts.
//
// ack=each acks item by item (storage.Inbox.Ack); ack=batch uses the
// optional sqlstore.BatchAcker once per claimed batch.
func BenchmarkInbox(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		for _, batched := range []bool{false, true} {
			name := "sync=" + sync + "/ack=each"
			if batched {
				name = "sync=" + sync + "/ack=batch"
			}
			b.Run(name, func(b *testing.B) {
				st := openTemp(b, sqlite.WithSynchronous(sync))
				benchInbox(b, st, 100, batched)
			})
		}
	}
}

func benchInbox(b *testing.B, st storage.Store, batch int, batchAck bool) {
	ctx := b.Context()
	in := st.Inbox()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	payload := make([]byte, 600) // a typical text-message webhook event
	n := 0
	b.ResetTimer()
	for b.Loop() {
		items := make([]storage.InboxItem, batch)
		for i := range items {
			n++
			items[i] = storage.InboxItem{
				Key:       fmt.Sprintf("wamid.%012d", n),
				Partition: fmt.Sprintf("whatsapp:4915%09d", n%1000),
				Payload:   payload,
				At:        now,
			}
		}
		if _, err := in.Put(ctx, items, now); err != nil {
			b.Fatal(err)
		}
		for left := batch; left > 0; {
			cs, err := in.Claim(ctx, "bench", batch, time.Minute, now)
			if err != nil {
				b.Fatal(err)
			}
			if len(cs) == 0 {
				b.Fatal("nothing to claim")
			}
			if batchAck {
				seqs := make([]int64, len(cs))
				for i, c := range cs {
					seqs[i] = c.Seq
				}
				lost, err := in.(sqlstore.BatchAcker).AckBatch(ctx, "bench", seqs)
				if err != nil || len(lost) > 0 {
					b.Fatal(lost, err)
				}
			} else {
				for _, c := range cs {
					if err := in.Ack(ctx, "bench", c.Seq); err != nil {
						b.Fatal(err)
					}
				}
			}
			left -= len(cs)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkInboxWorkers is the runtime's pattern: one producer puts
// batches of 100 events while 8 workers claim up to 10 items each and ack
// them one by one. Acks arriving together share a commit.
func BenchmarkInboxWorkers(b *testing.B) {
	st := openTemp(b)
	ctx := b.Context()
	in := st.Inbox()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	payload := make([]byte, 600)
	const batch, workers = 100, 8
	n := 0
	var acked atomic.Int64
	for b.Loop() {
		items := make([]storage.InboxItem, batch)
		for i := range items {
			n++
			items[i] = storage.InboxItem{Key: fmt.Sprintf("wamid.%012d", n), Partition: fmt.Sprintf("whatsapp:4915%09d", n%1000), Payload: payload, At: now}
		}
		if _, err := in.Put(ctx, items, now); err != nil {
			b.Fatal(err)
		}
		target := acked.Load() + batch
		var wg sync.WaitGroup
		for w := range workers {
			owner := fmt.Sprintf("w%d", w)
			wg.Go(func() {
				for acked.Load() < target {
					cs, err := in.Claim(ctx, owner, 10, time.Minute, now)
					if err != nil {
						b.Error(err)
						return
					}
					if len(cs) == 0 {
						time.Sleep(time.Millisecond)
						continue
					}
					for _, c := range cs {
						if err := in.Ack(ctx, owner, c.Seq); err != nil {
							b.Error(err)
							return
						}
						acked.Add(1)
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}
