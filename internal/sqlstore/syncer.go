package sqlstore

import (
	"errors"
	"fmt"
	"sync"
)

// syncer makes the pinned writer's commits durable off the writer. The
// writer commits without waiting for the disk, hands the requests that
// must be durable to the syncer and goes on with the next group; the
// syncer flushes the log to the disk (Config.SyncLog) and only then
// answers them. One flush covers every commit made before it, so requests
// that were committed while a flush was on its way share the next one.
//
// A caller is told its write succeeded only once the write is on the disk,
// as if the commit itself had waited. What changes is that other work can
// see a write before its flush ends: the writer's next group, a reader. At
// a power cut (not a crash of the process: the log is then in the
// operating system's cache, and survives) such a write can be lost
// although something else already read it; a caller, though, never
// learns of success for a write that is lost.
//
// A failed flush fails closed: the requests waiting for it get its error,
// and every durable request after it is refused with that error before it
// runs, until the store is opened again; after a failed fsync the operating system may have dropped the
// pages it could not write, and a later flush that succeeds would not
// mean they reached the disk.
type syncer struct {
	flush func() error

	mu      sync.Mutex
	pending []*request
	broken  error // the first failed flush, for good
	stopped bool

	wake chan struct{}
	done chan struct{}
}

func newSyncer(flush func() error) *syncer {
	y := &syncer{flush: flush, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go y.loop()
	return y
}

// add queues committed requests to be answered after the next flush.
func (y *syncer) add(rs []*request) {
	if len(rs) == 0 {
		return
	}
	y.mu.Lock()
	if err := y.broken; err != nil || y.stopped {
		y.mu.Unlock()
		if err == nil {
			err = errSyncerStopped
		}
		for _, r := range rs {
			r.err = err
			close(r.done)
		}
		return
	}
	y.pending = append(y.pending, rs...)
	y.mu.Unlock()
	select {
	case y.wake <- struct{}{}:
	default:
	}
}

var errSyncerStopped = errors.New("write committed but the store closed before it was flushed to the disk")

// failed is the error of a failed flush, once there was one: durable
// writes are then refused before they run.
func (y *syncer) failed() error {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.broken
}

func (y *syncer) loop() {
	defer close(y.done)
	for range y.wake {
		y.mu.Lock()
		batch := y.pending
		y.pending = nil
		stopped := y.stopped
		y.mu.Unlock()
		if len(batch) > 0 {
			err := y.flush()
			y.mu.Lock()
			if err != nil && y.broken == nil {
				y.broken = fmt.Errorf("flush of the write-ahead log failed; the store must be opened again: %w", err)
			}
			err = y.broken
			y.mu.Unlock()
			for _, r := range batch {
				if err != nil {
					r.err = err
				}
				close(r.done)
			}
		}
		if stopped {
			return
		}
	}
}

// stop flushes what is pending, answers it and ends the loop. The caller
// holds the writer, so nothing is added meanwhile.
func (y *syncer) stop() {
	y.mu.Lock()
	if y.stopped {
		y.mu.Unlock()
		<-y.done
		return
	}
	y.stopped = true
	y.mu.Unlock()
	// One wake-up read after the flag is set ends the loop. A wake-up
	// already waiting in the channel will be; should the channel be full
	// with a loop that has ended (it took a wake-up, then a later add's
	// filled the channel, then it saw the flag and left with that add's
	// write), done is closed: either way, no need to wait for room.
	select {
	case y.wake <- struct{}{}:
	default:
	}
	<-y.done
}
