package chat

import (
	"context"
	"fmt"
	"sync"

	"github.com/impactchat/impactchat/storage"
)

// ackBatcher gathers the acks of workers that finish at about the same time
// into one storage.BatchAcker call: while one batch is with the store, the
// acks that arrive wait for the next. An idle Server acks at once.
type ackBatcher struct {
	in    storage.BatchAcker
	owner string

	mu      sync.Mutex
	queue   []*ackRequest
	running bool
}

type ackRequest struct {
	seq  int64
	err  error
	done chan struct{}
}

// maxAckBatch bounds one AckBatch call.
const maxAckBatch = 256

// ack acks seq like Inbox.Ack, within ctx.
func (b *ackBatcher) ack(ctx context.Context, seq int64) error {
	r := &ackRequest{seq: seq, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, r)
	if !b.running {
		b.running = true
		go b.drain(context.WithoutCancel(ctx))
	}
	b.mu.Unlock()
	<-r.done // the batch call is bounded by the first caller's deadline
	return r.err
}

// drain runs batches until the queue is empty.
func (b *ackBatcher) drain(ctx context.Context) {
	for {
		b.mu.Lock()
		batch := b.queue
		if len(batch) > maxAckBatch {
			batch = batch[:maxAckBatch:maxAckBatch]
		}
		b.queue = b.queue[len(batch):]
		if len(batch) == 0 {
			b.queue = nil
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.run(ctx, batch)
	}
}

func (b *ackBatcher) run(ctx context.Context, batch []*ackRequest) {
	seqs := make([]int64, len(batch))
	for i, r := range batch {
		seqs[i] = r.seq
	}
	cctx, cancel := context.WithTimeout(ctx, settleTimeout)
	lost, err := b.in.AckBatch(cctx, b.owner, seqs)
	cancel()
	gone := make(map[int64]bool, len(lost))
	for _, seq := range lost {
		gone[seq] = true
	}
	for _, r := range batch {
		switch {
		case err != nil:
			r.err = err
		case gone[r.seq]:
			r.err = fmt.Errorf("inbox ack %d: %w", r.seq, storage.ErrLeaseLost)
		}
		close(r.done)
	}
}
