package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/sqlstore"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
)

// BenchmarkInbox measures the inbox's whole cycle for batches of 100
// events: one Put, Claims until all are leased, and the acks, either one
// Ack per event (ack=each) or one BatchAcker call per claimed batch
// (ack=batch). Events are spread over 1,000 contacts.
func BenchmarkInbox(b *testing.B) {
	for _, batched := range []bool{false, true} {
		name := "ack=each"
		if batched {
			name = "ack=batch"
		}
		b.Run(name, func(b *testing.B) {
			st := postgrestest.Open(b)
			benchInbox(b, st, 100, batched)
		})
	}
}

func benchInbox(b *testing.B, st storage.Store, batch int, batchAck bool) {
	ctx := b.Context()
	in := st.Inbox()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	payload := make([]byte, 600)
	n := 0
	for b.Loop() {
		items := make([]storage.InboxItem, batch)
		for i := range items {
			n++
			items[i] = storage.InboxItem{Key: fmt.Sprintf("wamid.%012d", n), Partition: fmt.Sprintf("whatsapp:4915%09d", n%1000), Payload: payload, At: now}
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
				if lost, err := in.(sqlstore.BatchAcker).AckBatch(ctx, "bench", seqs); err != nil || len(lost) > 0 {
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
