package chat_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage/memory"
)

// When Extend fails for a while (a store hiccup) and the lease runs out,
// the Server's own dispatcher claims the event again. It knows the event is
// in flight here: it must not start a second handler beside the first (one
// person's event twice at once; and the first, when done, would drop the
// second's bookkeeping and its lease would no longer be extended). The
// first goes on under the new lease and settles the event, once.
func TestServerDoesNotStartAnEventItIsStillHandling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &countingStore{Store: memory.New()}
		var calls, running, overlaps atomic.Int64
		h := chat.HandlerFunc(func(ctx context.Context, _ chat.Replier, m *chat.Message) error {
			calls.Add(1)
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			defer running.Add(-1)
			time.Sleep(3 * time.Second)
			return nil
		})
		srv, err := chat.NewServer(st, h, chat.WithLease(time.Second), chat.WithPollInterval(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		stop := runServer(t, srv)
		synctest.Wait()
		st.failExtend.Store(true)
		if err := srv.Accept(t.Context(), []chat.Event{textEvent(contactN(1), "wamid.1", "hi", time.Now())}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		st.failExtend.Store(false) // the hiccup is over
		time.Sleep(10 * time.Second)
		synctest.Wait()
		_ = stop()
		if n, o := calls.Load(), overlaps.Load(); n != 1 || o != 0 {
			t.Errorf("one Server ran the handler of one event %d times, %d of them while another run of it was in flight; want once", n, o)
		}
	})
}
