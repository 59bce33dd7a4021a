package chat

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// fakeBatchAcker records the batches it is given; the seqs in lost come
// back as no longer held, and fail makes every call fail.
type fakeBatchAcker struct {
	mu      sync.Mutex
	batches [][]int64
	lost    map[int64]bool
	fail    error
	gate    chan struct{} // if set, each call waits for a value
}

func (f *fakeBatchAcker) AckBatch(_ context.Context, owner string, seqs []int64) ([]int64, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, append([]int64(nil), seqs...))
	if f.fail != nil {
		return nil, f.fail
	}
	var lost []int64
	for _, s := range seqs {
		if f.lost[s] {
			lost = append(lost, s)
		}
	}
	return lost, nil
}

func TestAckBatcherGathersAcksWhileABatchIsWithTheStore(t *testing.T) {
	f := &fakeBatchAcker{lost: map[int64]bool{7: true}, gate: make(chan struct{})}
	b := &ackBatcher{in: f, owner: "w"}
	ctx := context.Background()

	first := make(chan error, 1)
	go func() { first <- b.ack(ctx, 1) }()
	// Wait until the first batch is with the store, then queue more.
	for {
		b.mu.Lock()
		running, queued := b.running, len(b.queue)
		b.mu.Unlock()
		if running && queued == 0 {
			break
		}
		runtime.Gosched()
	}
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.ack(ctx, int64(i+2))
		}()
	}
	for {
		b.mu.Lock()
		queued := len(b.queue)
		b.mu.Unlock()
		if queued == len(errs) {
			break
		}
		runtime.Gosched()
	}
	f.gate <- struct{}{} // the first batch: seq 1 alone
	f.gate <- struct{}{} // the second: the ten that queued meanwhile
	if err := <-first; err != nil {
		t.Fatalf("ack 1: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		seq := int64(i + 2)
		if seq == 7 {
			if !errors.Is(err, storage.ErrLeaseLost) {
				t.Errorf("ack %d: got %v, want ErrLeaseLost", seq, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ack %d: %v", seq, err)
		}
	}
	if len(f.batches) != 2 || len(f.batches[0]) != 1 || len(f.batches[1]) != 10 {
		t.Fatalf("batches %v; want [1] then the ten others in one", f.batches)
	}
}

func TestAckBatcherFailureReachesEveryCaller(t *testing.T) {
	boom := errors.New("disk full")
	b := &ackBatcher{in: &fakeBatchAcker{fail: boom}, owner: "w"}
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.ack(context.Background(), int64(i)); !errors.Is(err, boom) {
				t.Errorf("ack %d: got %v, want %v", i, err, boom)
			}
		}()
	}
	wg.Wait()
	// The drain answers its callers before it looks at the queue again and
	// stops: wait for it to stop (10 s means it never will).
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		b.mu.Lock()
		running, queued := b.running, len(b.queue)
		b.mu.Unlock()
		if queued != 0 {
			t.Fatalf("batcher left %d queued", queued)
		}
		if !running {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the batcher never stopped after answering every caller")
}
