package chat_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// BenchmarkServerAcceptAndHandle measures the runtime without the network:
// Accept (encode, deduplicate, Put), claim, Touch, a handler that replies
// once through a Sender that does nothing, the reply recorded, Ack. Messages
// come from 1,000 people in deliveries of the given size; the figure is the
// time per message until every message is handled.
func BenchmarkServerAcceptAndHandle(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) storage.Store
	}{
		{"memory", func(*testing.B) storage.Store { return memory.New() }},
		{"sqlite", func(b *testing.B) storage.Store {
			ring, err := keyring.New(bytes.Repeat([]byte{7}, 32))
			if err != nil {
				b.Fatal(err)
			}
			st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlite.WithKeyring(ring), sqlite.WithSynchronous("normal"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return st
		}},
	}
	for _, st := range stores {
		for _, size := range []int{1, 10} {
			b.Run(fmt.Sprintf("store=%s/delivery=%d", st.name, size), func(b *testing.B) {
				benchAcceptAndHandle(b, st.open(b), size)
			})
		}
	}
}

func benchAcceptAndHandle(b *testing.B, store storage.Store, size int) {
	var handled atomic.Int64
	done := make(chan struct{})
	var target int64
	var n atomic.Int64
	snd := chat.SenderFunc(func(context.Context, chat.Address, chat.Outgoing) (chat.SendResult, error) {
		return chat.SendResult{MessageID: fmt.Sprintf("wamid.out.%d", n.Add(1))}, nil
	})
	h := chat.HandlerFunc(func(ctx context.Context, r chat.Replier, m *chat.Message) error {
		_, err := r.Reply(ctx, chat.Text{Body: "Thank you, we received your message."})
		if handled.Add(1) == atomic.LoadInt64(&target) {
			close(done)
		}
		return err
	})
	srv, err := chat.NewServer(store, h, chat.WithSender(snd), chat.WithWorkers(16))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = srv.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	atomic.StoreInt64(&target, int64(b.N))
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += size {
		batch := make([]chat.Event, 0, size)
		for j := i; j < min(i+size, b.N); j++ {
			batch = append(batch, textEvent(contactN(j%1000), fmt.Sprintf("wamid.b%d", j), "Where can I renew my permit?", now))
		}
		if err := srv.Accept(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
