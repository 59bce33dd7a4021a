package memory_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// BenchmarkInbox puts a batch of events spread over partitions, claims them
// in batches and acks each: the path every inbound event takes. The metric
// events/s counts events through all three steps.
func BenchmarkInbox(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			st := memory.New()
			defer st.Close()
			in := st.Inbox()
			ctx := b.Context()
			now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			items := make([]storage.InboxItem, batch)
			payload := make([]byte, 600)
			n := 0
			for b.Loop() {
				n = fillItems(items, n, 1000, payload, now)
				if _, err := in.Put(ctx, items, now); err != nil {
					b.Fatal(err)
				}
				for left := batch; left > 0; {
					left -= claimAndAck(b, in, batch, now)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkContactLookup finds one of 100,000 contacts by reference.
func BenchmarkContactLookup(b *testing.B) {
	st := memory.New()
	defer st.Close()
	ctx := b.Context()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const contacts = 100_000
	refs := make([]storage.ContactRef, contacts)
	for i := range refs {
		refs[i] = storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("1555%07d", i)}
		if _, err := st.Contacts().Touch(ctx, refs[i], now); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		if _, err := st.Contacts().Get(ctx, refs[i%contacts]); err != nil {
			b.Fatal(err)
		}
		i += 7919
	}
}

// BenchmarkSessionsMemory stores 100,000 flow sessions of 500 bytes and
// reports the heap they hold. It measures; it asserts nothing.
func BenchmarkSessionsMemory(b *testing.B) {
	const sessions = 100_000
	ctx := b.Context()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	data := make([]byte, 500)
	var held uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st := memory.New()
		for i := range sessions {
			ref := storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("1555%07d", i)}
			if _, err := st.Sessions().Put(ctx, storage.Session{Contact: ref, Data: data, ExpiresAt: now.Add(time.Hour)}, now); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(st)
		st.Close()
	}
	b.ReportMetric(float64(held)/(1<<20), "MB/100k-sessions")
	b.ReportMetric(float64(held)/sessions, "B/session")
}

// BenchmarkInboxClaimBacklog claims and acks the oldest 16 events while
// 10,000 people each have an event waiting and 16 more are being handled:
// the shape of a busy line, where Claim must find the oldest free heads
// among many partitions. A put keeps the backlog at its size.
func BenchmarkInboxClaimBacklog(b *testing.B) {
	const partitions, workers = 10_000, 16
	st := memory.New()
	defer st.Close()
	in := st.Inbox()
	ctx := b.Context()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	n := 0
	put := func(count int) {
		items := make([]storage.InboxItem, count)
		n = fillItems(items, n, partitions, nil, now)
		if _, err := in.Put(ctx, items, now); err != nil {
			b.Fatal(err)
		}
	}
	put(partitions)
	held, err := in.Claim(ctx, "busy", workers, time.Hour, now)
	if err != nil || len(held) != workers {
		b.Fatalf("claim: %d, %v", len(held), err)
	}
	for b.Loop() {
		put(claimAndAck(b, in, workers, now))
	}
}

// fillItems fills items with events numbered from n+1, spread over
// partitions people, and returns the last number used.
func fillItems(items []storage.InboxItem, n, partitions int, payload []byte, at time.Time) int {
	for i := range items {
		n++
		items[i] = storage.InboxItem{Key: fmt.Sprintf("wamid.%d", n), Partition: fmt.Sprintf("whatsapp:1555%07d", n%partitions), Payload: payload, At: at}
	}
	return n
}

// claimAndAck claims up to max events as worker "w", acks them and returns
// how many there were; it fails the benchmark if there were none.
func claimAndAck(b *testing.B, in storage.Inbox, max int, now time.Time) int {
	cs, err := in.Claim(b.Context(), "w", max, time.Minute, now)
	if err != nil {
		b.Fatal(err)
	}
	if len(cs) == 0 {
		b.Fatal("nothing to claim")
	}
	for _, c := range cs {
		if err := in.Ack(b.Context(), "w", c.Seq); err != nil {
			b.Fatal(err)
		}
	}
	return len(cs)
}
