package memory

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/impactchat/impactchat/storage"
)

type inboxState uint8

const (
	inboxPending inboxState = iota
	inboxLeased
	inboxDead
	inboxDone
)

type inboxRec struct {
	seq        int64
	order      int64 // position in the global order; renewed by Requeue
	key        string
	partition  string
	payload    []byte
	at         time.Time
	putAt      time.Time
	state      inboxState
	owner      string
	leaseUntil time.Time
	retryAt    time.Time
	attempts   int
	lastError  string

	// heap is the heap of heads holding the item while it is the head of
	// its partition's queue (nil otherwise); hi is its index there.
	heap *headHeap
	hi   int
}

type inboxData struct {
	seq, order int64
	items      map[int64]*inboxRec
	keys       map[string]*inboxRec
	// queues holds, per partition, the items neither acked nor dead, in
	// order. Only the head of a queue can be leased.
	queues map[string][]*inboxRec
	dead   map[int64]*inboxRec
	// ready and waiting hold the head of every queue (see headHeap).
	ready, waiting headHeap
}

func (d *inboxData) init() {
	*d = inboxData{
		items:   make(map[int64]*inboxRec),
		keys:    make(map[string]*inboxRec),
		queues:  make(map[string][]*inboxRec),
		dead:    make(map[int64]*inboxRec),
		ready:   headHeap{less: byOrder},
		waiting: headHeap{less: byDue},
	}
}

// place puts r, which has just become the head of its queue or changed
// state, in the heap where Claim will look for it.
func (d *inboxData) place(r *inboxRec) {
	if r.heap != nil {
		r.heap.remove(r)
	}
	if r.state == inboxPending && r.retryAt.IsZero() {
		d.ready.push(r)
		return
	}
	d.waiting.push(r)
}

// unplace takes r out of the heaps of heads.
func (d *inboxData) unplace(r *inboxRec) {
	if r.heap != nil {
		r.heap.remove(r)
	}
}

// enqueue appends r to its partition's queue.
func (d *inboxData) enqueue(r *inboxRec) {
	q := d.queues[r.partition]
	d.queues[r.partition] = append(q, r)
	if len(q) == 0 {
		d.place(r)
	}
}

// pop removes r, the head of its partition's queue.
func (d *inboxData) pop(r *inboxRec) {
	q := d.queues[r.partition]
	if len(q) == 0 || q[0] != r {
		panic("memory: inbox item is not the head of its partition")
	}
	d.unplace(r)
	if len(q) == 1 {
		delete(d.queues, r.partition)
		return
	}
	q[0] = nil
	d.queues[r.partition] = q[1:]
	d.place(q[1])
}

// erase drops the unfinished items of a partition, keeping their keys as
// done items without payload or partition.
func (d *inboxData) erase(partition string) {
	for _, r := range d.queues[partition] {
		d.unplace(r)
		d.finish(r)
	}
	delete(d.queues, partition)
	for seq, r := range d.dead {
		if r.partition == partition {
			delete(d.dead, seq)
			d.finish(r)
		}
	}
	for _, r := range d.items {
		if r.partition == partition {
			r.partition = ""
		}
	}
}

func (d *inboxData) finish(r *inboxRec) {
	r.state = inboxDone
	r.payload = nil
	r.owner = ""
	r.lastError = ""
	r.partition = ""
}

func (r *inboxRec) claimed() storage.Claimed {
	return storage.Claimed{
		InboxItem: storage.InboxItem{
			Key:       r.key,
			Partition: r.partition,
			Payload:   bytes.Clone(r.payload),
			At:        r.at,
		},
		Seq:        r.seq,
		Attempts:   r.attempts,
		LeaseUntil: r.leaseUntil,
		LastError:  r.lastError,
	}
}

// claimable reports whether the head of a queue can be leased at now.
func (r *inboxRec) claimable(now time.Time) bool {
	switch r.state {
	case inboxPending:
		return !now.Before(r.retryAt)
	case inboxLeased:
		return !now.Before(r.leaseUntil)
	}
	return false
}

func (v inboxView) Put(ctx context.Context, items []storage.InboxItem, now time.Time) (storage.PutResult, error) {
	res, _, err := v.put(ctx, items, now, "", 0, 0)
	return res, err
}

var _ storage.PutClaimer = inboxView{}

func (v inboxView) PutClaim(ctx context.Context, items []storage.InboxItem, now time.Time, owner string, max int, lease time.Duration) (storage.PutResult, []storage.Claimed, error) {
	if err := storage.CheckPutClaim(owner, max, lease); err != nil {
		return storage.PutResult{}, nil, fmt.Errorf("inbox put: %w", err)
	}
	return v.put(ctx, items, now, owner, max, lease)
}

// put is Put, leasing to owner the items PutClaim describes when max > 0.
func (v inboxView) put(ctx context.Context, items []storage.InboxItem, now time.Time, owner string, max int, lease time.Duration) (storage.PutResult, []storage.Claimed, error) {
	for i, it := range items {
		if it.Key == "" {
			return storage.PutResult{}, nil, fmt.Errorf("inbox put: %w", &storage.FieldError{Field: fmt.Sprintf("items[%d].key", i), Problem: "is empty"})
		}
		if it.Partition == "" {
			return storage.PutResult{}, nil, fmt.Errorf("inbox put: %w", &storage.FieldError{Field: fmt.Sprintf("items[%d].partition", i), Problem: "is empty"})
		}
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.PutResult{}, nil, fmt.Errorf("inbox put: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.inbox
	res := storage.PutResult{Fresh: make([]bool, len(items))}
	var claimed []storage.Claimed
	// A partition busy before the put, or named by an earlier item of it
	// (added or not), keeps its new items for a Claim.
	var named map[string]bool
	if max > 0 {
		named = make(map[string]bool, len(items))
	}
	leads := 0
	for i, it := range items {
		lead := leads < max && !named[it.Partition] && len(d.queues[it.Partition]) == 0
		if lead {
			leads++ // a duplicate counts too (see storage.PutClaimer)
		}
		if max > 0 {
			named[it.Partition] = true
		}
		if _, seen := d.keys[it.Key]; seen {
			continue
		}
		d.seq++
		d.order++
		r := &inboxRec{
			seq:       d.seq,
			order:     d.order,
			key:       it.Key,
			partition: it.Partition,
			payload:   bytes.Clone(it.Payload),
			at:        it.At,
			putAt:     now,
		}
		if lead {
			// As Claim leases a head.
			r.state = inboxLeased
			r.owner = owner
			r.leaseUntil = now.Add(lease)
			r.attempts = 1
		}
		d.items[r.seq] = r
		d.keys[r.key] = r
		d.enqueue(r)
		res.Fresh[i] = true
		if lead {
			claimed = append(claimed, r.claimed())
		}
	}
	return res, claimed, nil
}

func (v inboxView) Claim(ctx context.Context, owner string, max int, lease time.Duration, now time.Time) ([]storage.Claimed, error) {
	if owner == "" {
		return nil, fmt.Errorf("inbox claim: %w", &storage.FieldError{Field: "owner", Problem: "is empty"})
	}
	if max <= 0 {
		return nil, fmt.Errorf("inbox claim: %w", &storage.FieldError{Field: "max", Problem: fmt.Sprintf("is %d; it must be at least 1", max)})
	}
	if lease <= 0 {
		return nil, fmt.Errorf("inbox claim: %w", &storage.FieldError{Field: "lease", Problem: "must be positive"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("inbox claim: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.inbox
	// Heads whose retry or lease time has come join the ready heap.
	for d.waiting.len() > 0 && d.waiting.top().claimable(now) {
		r := d.waiting.top()
		d.waiting.remove(r)
		d.ready.push(r)
	}
	// Take the oldest claimable heads. A ready head may not be claimable at
	// this now when an earlier call gave a later now: it goes back to
	// waiting, which is ordered by the time it becomes claimable.
	var taken, early []*inboxRec
	for len(taken) < max && d.ready.len() > 0 {
		r := d.ready.top()
		d.ready.remove(r)
		if !r.claimable(now) {
			early = append(early, r)
			continue
		}
		taken = append(taken, r)
	}
	for _, r := range early {
		d.waiting.push(r)
	}
	out := make([]storage.Claimed, 0, len(taken))
	for _, r := range taken {
		r.state = inboxLeased
		r.owner = owner
		r.leaseUntil = now.Add(lease)
		r.retryAt = time.Time{}
		r.attempts++
		d.waiting.push(r)
		out = append(out, r.claimed())
	}
	return out, nil
}

// held returns the item seq if owner holds its lease.
func (d *inboxData) held(owner string, seq int64) (*inboxRec, error) {
	r := d.items[seq]
	if r == nil || r.state != inboxLeased || r.owner != owner {
		return nil, storage.ErrLeaseLost
	}
	return r, nil
}

func (v inboxView) Ack(ctx context.Context, owner string, seq int64) error {
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("inbox ack: %w", err)
	}
	defer s.mu.Unlock()
	r, err := s.inbox.held(owner, seq)
	if err != nil {
		return fmt.Errorf("inbox ack %d: %w", seq, err)
	}
	s.inbox.pop(r)
	r.state = inboxDone
	r.payload = nil
	r.owner = ""
	return nil
}

func (v inboxView) Nack(ctx context.Context, owner string, seq int64, retryAt time.Time, reason string) error {
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("inbox nack: %w", err)
	}
	defer s.mu.Unlock()
	r, err := s.inbox.held(owner, seq)
	if err != nil {
		return fmt.Errorf("inbox nack %d: %w", seq, err)
	}
	r.state = inboxPending
	r.owner = ""
	r.retryAt = retryAt
	r.lastError = reason
	s.inbox.place(r)
	return nil
}

func (v inboxView) DeadLetter(ctx context.Context, owner string, seq int64, reason string) error {
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("inbox dead-letter: %w", err)
	}
	defer s.mu.Unlock()
	r, err := s.inbox.held(owner, seq)
	if err != nil {
		return fmt.Errorf("inbox dead-letter %d: %w", seq, err)
	}
	s.inbox.pop(r)
	r.state = inboxDead
	r.owner = ""
	r.lastError = reason
	s.inbox.dead[r.seq] = r
	return nil
}

func (v inboxView) Extend(ctx context.Context, owner string, seq int64, lease time.Duration, now time.Time) error {
	if lease <= 0 {
		return fmt.Errorf("inbox extend: %w", &storage.FieldError{Field: "lease", Problem: "must be positive"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("inbox extend: %w", err)
	}
	defer s.mu.Unlock()
	r, err := s.inbox.held(owner, seq)
	if err != nil {
		return fmt.Errorf("inbox extend %d: %w", seq, err)
	}
	r.leaseUntil = now.Add(lease)
	s.inbox.place(r)
	return nil
}

func (v inboxView) DeadLetters(ctx context.Context, limit int) ([]storage.Claimed, error) {
	if err := checkLimit("limit", limit); err != nil {
		return nil, fmt.Errorf("inbox dead letters: %w", err)
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("inbox dead letters: %w", err)
	}
	defer s.mu.Unlock()
	dead := make([]*inboxRec, 0, len(s.inbox.dead))
	for _, r := range s.inbox.dead {
		dead = append(dead, r)
	}
	slices.SortFunc(dead, func(a, b *inboxRec) int { return cmp.Compare(a.order, b.order) })
	dead = dead[:upTo(len(dead), limit)]
	out := make([]storage.Claimed, len(dead))
	for i, r := range dead {
		out[i] = r.claimed()
	}
	return out, nil
}

func (v inboxView) Requeue(ctx context.Context, seq int64) error {
	s := v.s
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("inbox requeue: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.inbox
	r := d.dead[seq]
	if r == nil {
		return fmt.Errorf("inbox requeue %d: no dead-lettered item: %w", seq, storage.ErrNotFound)
	}
	delete(d.dead, seq)
	d.order++
	r.order = d.order
	r.state = inboxPending
	r.attempts = 0
	r.retryAt = time.Time{}
	r.leaseUntil = time.Time{}
	d.enqueue(r)
	return nil
}

func (v inboxView) Purge(ctx context.Context, cutoff time.Time) (int, error) {
	s := v.s
	if err := s.lock(ctx); err != nil {
		return 0, fmt.Errorf("inbox purge: %w", err)
	}
	defer s.mu.Unlock()
	d := &s.inbox
	n := 0
	for seq, r := range d.items {
		if r.state == inboxDone && r.putAt.Before(cutoff) {
			delete(d.items, seq)
			delete(d.keys, r.key)
			n++
		}
	}
	return n, nil
}

func (v inboxView) Pending(ctx context.Context, partition string) (int, error) {
	if partition == "" {
		return 0, fmt.Errorf("inbox pending: %w", &storage.FieldError{Field: "partition", Problem: "is empty"})
	}
	s := v.s
	if err := s.lock(ctx); err != nil {
		return 0, fmt.Errorf("inbox pending: %w", err)
	}
	defer s.mu.Unlock()
	return len(s.inbox.queues[partition]), nil
}

func (v inboxView) Stats(ctx context.Context) (storage.InboxStats, error) {
	s := v.s
	if err := s.lock(ctx); err != nil {
		return storage.InboxStats{}, fmt.Errorf("inbox stats: %w", err)
	}
	defer s.mu.Unlock()
	var st storage.InboxStats
	for _, r := range s.inbox.items {
		switch r.state {
		case inboxPending:
			st.Pending++
		case inboxLeased:
			st.Leased++
		case inboxDead:
			st.Dead++
		case inboxDone:
			st.Done++
		}
	}
	return st, nil
}
