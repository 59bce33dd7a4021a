package chat_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// slowStatusMessages makes every status update take two seconds (a busy
// database).
type slowStatusMessages struct{ storage.Messages }

func (m slowStatusMessages) UpdateStatus(ctx context.Context, id string, d storage.Delivery, at time.Time, code int) (bool, error) {
	time.Sleep(2 * time.Second)
	return m.Messages.UpdateStatus(ctx, id, d, at, code)
}

type slowStatusStore struct{ storage.Store }

func (s slowStatusStore) Messages() storage.Messages {
	return slowStatusMessages{s.Store.Messages()}
}

// The lease of the events Accept hands to idle workers (PutClaim) runs from
// the put, not from the start of Accept: the status writes before the put
// (or a queued group write) may take longer than the lease, and an event
// stored with its lease already over would be claimed at once by another
// replica while this one handles it.
func TestAcceptLeasesFromThePut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := memory.New()
		var calls, overlaps, running atomic.Int64
		h := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			calls.Add(1)
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			defer running.Add(-1)
			time.Sleep(1500 * time.Millisecond)
			return nil
		})
		opts := []chat.ServerOption{chat.WithLease(time.Second), chat.WithPollInterval(100 * time.Millisecond)}
		a, err := chat.NewServer(slowStatusStore{base}, h, append(opts, chat.WithOwner("a"))...)
		if err != nil {
			t.Fatal(err)
		}
		b, err := chat.NewServer(base, h, append(opts, chat.WithOwner("b"))...)
		if err != nil {
			t.Fatal(err)
		}
		stopA, stopB := runServer(t, a), runServer(t, b)
		synctest.Wait()
		now := time.Now()
		// One webhook delivery with a status and a message, as Meta sends.
		if err := a.Accept(t.Context(), []chat.Event{
			statusEvent(contactN(1), "wamid.out.1", chat.StatusRead, now),
			textEvent(contactN(2), "wamid.in.1", "hello", now),
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		_, _ = stopA(), stopB()
		if n := calls.Load(); n != 1 || overlaps.Load() != 0 {
			t.Errorf("the message was handled %d times (%d at once); want once: replica a must lease it from the put", n, overlaps.Load())
		}
	})
}
