package chat_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

// slowStore's inbox takes 10ms per Put and counts them.
type slowStore struct {
	storage.Store
	puts  atomic.Int64
	items atomic.Int64
	fail  atomic.Bool
}

func (s *slowStore) Inbox() storage.Inbox { return slowInbox{Inbox: s.Store.Inbox(), s: s} }

type slowInbox struct {
	storage.Inbox
	s *slowStore
}

func (i slowInbox) Put(ctx context.Context, items []storage.InboxItem, now time.Time) (storage.PutResult, error) {
	i.s.puts.Add(1)
	i.s.items.Add(int64(len(items)))
	time.Sleep(10 * time.Millisecond)
	if i.s.fail.Load() {
		return storage.PutResult{}, errInjected
	}
	return i.Inbox.Put(ctx, items, now)
}

// Deliveries that arrive while one is being written share the next write.
func TestAcceptSharesWrites(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &slowStore{Store: memory.New()}
		var counters chat.Counters
		srv, err := chat.NewServer(store, newRecorder(), chat.WithMetrics(&counters))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		first := textEvent(contactN(0), "wamid.first", "hi", now)
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := srv.Accept(t.Context(), []chat.Event{first}); err != nil {
				t.Errorf("Accept: %v", err)
			}
		})
		synctest.Wait() // the first write is under way
		for i := range 49 {
			wg.Go(func() {
				batch := []chat.Event{textEvent(contactN(i%7), fmt.Sprintf("wamid.%d", i), "hi", now)}
				if i%10 == 0 {
					batch = append(batch, first) // a duplicate inside a shared write
				}
				if err := srv.Accept(t.Context(), batch); err != nil {
					t.Errorf("Accept: %v", err)
				}
			})
		}
		wg.Wait()
		if n := store.puts.Load(); n != 2 {
			t.Errorf("%d writes for 50 concurrent deliveries, want 2 (the first, then the rest together)", n)
		}
		if s := counters.Snapshot(); s.Accepted != 50 || s.Duplicate != 5 {
			t.Errorf("counters = %+v, want 50 accepted and 5 duplicates", s)
		}
		st, _ := store.Store.Inbox().Stats(t.Context())
		if st.Pending != 50 {
			t.Errorf("inbox = %+v, want 50 pending", st)
		}

		// A failed shared write fails every delivery in it.
		store.fail.Store(true)
		var failed atomic.Int64
		for i := range 5 {
			wg.Go(func() {
				if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), fmt.Sprintf("wamid.f%d", i), "hi", now)}); err != nil {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		if failed.Load() != 5 {
			t.Errorf("%d of 5 deliveries failed with the store, want all", failed.Load())
		}
	})
}

// A caller whose context ends stops waiting; the write goes on for the others.
func TestAcceptReturnsWhenContextEnds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &slowStore{Store: memory.New()}
		srv, err := chat.NewServer(store, newRecorder())
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_ = srv.Accept(context.Background(), []chat.Event{textEvent(contactN(0), "wamid.a", "hi", time.Now())})
		}()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		defer cancel()
		if err := srv.Accept(ctx, []chat.Event{textEvent(contactN(1), "wamid.b", "hi", time.Now())}); err == nil {
			t.Error("Accept = nil after its context ended before the write")
		}
		time.Sleep(time.Second)
		st, _ := store.Store.Inbox().Stats(t.Context())
		if st.Pending != 2 {
			t.Errorf("inbox = %+v, want both stored", st)
		}
	})
}
