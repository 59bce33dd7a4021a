package sqlstore

import (
	"runtime"
	"testing"
	"time"
)

// stop must return however the loop's last wake-up and the writes added
// just before it interleave: the loop may take a wake-up, then a later
// write's wake-up fills the channel, then the loop sees stop's flag and
// ends with both writes, leaving that wake-up unread.
func TestSyncerStopsAfterAnyInterleaving(t *testing.T) {
	t.Parallel()
	for i := range 2000 {
		y := newSyncer(func() error {
			runtime.Gosched()
			return nil
		})
		a := &request{done: make(chan struct{})}
		b := &request{done: make(chan struct{})}
		y.add([]*request{a})
		if i%2 == 0 {
			runtime.Gosched()
		}
		y.add([]*request{b})
		stopped := make(chan struct{})
		go func() {
			y.stop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: stop did not return", i)
		}
		for _, r := range []*request{a, b} {
			select {
			case <-r.done:
			default:
				t.Fatalf("round %d: a write was not answered by stop", i)
			}
			if r.err != nil {
				t.Fatalf("round %d: %v", i, r.err)
			}
		}
	}
}
