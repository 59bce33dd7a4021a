package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// BenchmarkInboxClaimInFlight measures one Claim of 16 events while
// inflight others are leased and not yet acked, as under a busy runtime
// whose workers are all handling: the claim must pass the leased items.
func BenchmarkInboxClaimInFlight(b *testing.B) {
	for _, inflight := range []int{0, 256, 1024} {
		b.Run(fmt.Sprintf("inflight=%d", inflight), func(b *testing.B) {
			st := openTemp(b)
			ctx := b.Context()
			in := st.Inbox()
			now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			payload := make([]byte, 600)
			n := 0
			put := func(k int) {
				items := make([]storage.InboxItem, k)
				for i := range items {
					n++
					items[i] = storage.InboxItem{Key: fmt.Sprintf("wamid.%012d", n), Partition: fmt.Sprintf("whatsapp:4915%09d", n), Payload: payload, At: now}
				}
				if _, err := in.Put(ctx, items, now); err != nil {
					b.Fatal(err)
				}
			}
			if inflight > 0 {
				put(inflight)
				cs, err := in.Claim(ctx, "busy", inflight, time.Hour, now)
				if err != nil || len(cs) != inflight {
					b.Fatal(len(cs), err)
				}
			}
			for b.Loop() {
				b.StopTimer()
				put(16)
				b.StartTimer()
				cs, err := in.Claim(ctx, "bench", 16, time.Hour, now)
				if err != nil || len(cs) != 16 {
					b.Fatal(len(cs), err)
				}
				b.StopTimer()
				for _, c := range cs {
					if err := in.Ack(ctx, "bench", c.Seq); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
			}
		})
	}
}
