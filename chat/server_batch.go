package chat

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// putBatcher lets concurrent Accepts share inbox writes (group commit).
// The first caller writes its items at once; callers that arrive while that
// write is in progress queue up, and the next write takes all of them in one
// Put. At low load nothing waits; under load the store sees a few larger
// transactions instead of one per webhook delivery, which is what a single
// writer (SQLite) or a round trip per transaction (Postgres) needs.
//
// A combined Put is atomic like any Put: if it fails, every caller in it
// gets the error (and answers the channel 503, so it delivers again).
type putBatcher struct {
	inbox   storage.Inbox
	timeout time.Duration // bounds one combined Put
	// srv, when set, is the Server whose idle workers a combined Put
	// leases new events to as it stores them (Server.direct).
	srv *Server

	mu      sync.Mutex
	queue   []*putRequest
	writing bool // a goroutine is writing; it takes the queue when done
}

type putRequest struct {
	items []storage.InboxItem
	now   time.Time
	done  chan putResponse // buffered: the writer never blocks on it
}

type putResponse struct {
	fresh []bool
	err   error
	// handed: the running Server took the fresh events over (started
	// them, or noted them as waiting and woke its dispatcher).
	handed bool
}

// maxPutItems bounds the items of one combined Put. A single Accept with
// more is written alone.
const maxPutItems = 1000

// put stores items and reports which were fresh, and whether the running
// Server took the fresh ones over (see Server.handOver). It returns early with
// ctx's error if ctx ends first; the items may still be stored then, which
// is harmless: a later delivery finds them as duplicates.
func (b *putBatcher) put(ctx context.Context, items []storage.InboxItem, now time.Time) (fresh []bool, handed bool, err error) {
	req := &putRequest{items: items, now: now, done: make(chan putResponse, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	lead := !b.writing
	b.writing = true
	b.mu.Unlock()
	if lead && b.write(ctx) {
		// Others queued during the write: keep writing for them, without
		// holding this caller back.
		go func() {
			for b.write(context.WithoutCancel(ctx)) {
			}
		}()
	}
	select {
	case r := <-req.done:
		return r.fresh, r.handed, r.err
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// write performs one combined Put of the queued requests and reports
// whether more requests are waiting. When it reports false, the next put
// leads again.
func (b *putBatcher) write(ctx context.Context) bool {
	b.mu.Lock()
	n, count := 0, 0
	for n < len(b.queue) && (n == 0 || count+len(b.queue[n].items) <= maxPutItems) {
		count += len(b.queue[n].items)
		n++
	}
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.mu.Unlock()

	var items []storage.InboxItem
	if len(batch) == 1 {
		items = batch[0].items
	} else {
		items = make([]storage.InboxItem, 0, count)
		for _, r := range batch {
			items = append(items, r.items...)
		}
	}
	// The write serves several callers, so no one caller's cancellation
	// may abort it.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
	now := batch[len(batch)-1].now
	if b.srv != nil {
		// Events handed over are leased from the write, not from their
		// Accept: status writes, or other callers' writes ahead of this
		// one, may have taken longer than a lease since.
		if t := b.srv.now(); t.After(now) {
			now = t
		}
	}
	var (
		res    storage.PutResult
		err    error
		handed bool
	)
	if run, slots := b.srv.reserve(len(items)); run != nil {
		var leased []storage.Claimed
		res, leased, err = b.srv.direct.PutClaim(pctx, items, now, b.srv.owner, slots, b.srv.lease)
		if err == nil && len(res.Fresh) != len(items) {
			err = errShortPutResult
		}
		var unleased []string
		if err == nil {
			unleased = unleasedParts(items, res.Fresh, leased)
		} else {
			leased = nil // a failed put started nothing; any lease it left ends
		}
		b.srv.handOver(run, slots, leased, unleased)
		handed = err == nil
	} else {
		res, err = b.inbox.Put(pctx, items, now)
	}
	cancel()
	if err == nil && len(res.Fresh) != len(items) {
		err = errShortPutResult
	}
	off := 0
	for _, r := range batch {
		resp := putResponse{handed: handed}
		if err != nil {
			resp.err = err
		} else {
			resp.fresh = res.Fresh[off : off+len(r.items)]
		}
		off += len(r.items)
		r.done <- resp
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.writing = false
		return false
	}
	return true
}

var errShortPutResult = errors.New("inbox put: the store reported fewer results than items")

// unleasedParts lists the partition of every fresh item a PutClaim did not
// lease, once per item.
func unleasedParts(items []storage.InboxItem, fresh []bool, leased []storage.Claimed) []string {
	if len(leased) == len(items) {
		return nil
	}
	got := make(map[string]bool, len(leased))
	for _, c := range leased {
		got[c.Key] = true
	}
	var out []string
	for i, it := range items {
		if fresh[i] && !got[it.Key] {
			out = append(out, it.Partition)
		}
	}
	return out
}
