package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
)

// BenchmarkDurableWrites measures durable writes (Messages.Record, each a
// transaction that waits for the WAL flush) from 1, 16 and 64 goroutines
// on the default pool of 10 connections. Postgres shares one WAL flush
// among the commits waiting for it, so throughput should grow with the
// writers without any batching in the store.
func BenchmarkDurableWrites(b *testing.B) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	record := func(ctx context.Context, st storage.Store, i int64) error {
		return st.Messages().Record(ctx, storage.MessageRecord{
			ID:        fmt.Sprintf("wamid.%012d", i),
			Contact:   storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("4915%09d", i%500)},
			Direction: storage.Inbound, Kind: "text", Body: "where is the nearest clinic?", At: at,
		})
	}
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			st := postgrestest.Open(b, postgres.WithMaxConns(10))
			ctx := b.Context()
			var n atomic.Int64
			start := time.Now()
			if writers == 1 {
				for b.Loop() {
					if err := record(ctx, st, n.Add(1)); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := record(ctx, st, n.Add(1)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "writes/s")
		})
	}
}
