package memory

import "time"

// headHeap is a binary min-heap of partition heads that keeps each record's
// position in the record (inboxRec.hi), so a head can be removed or moved
// in O(log n) when it is acked, nacked, extended or erased.
//
// The inbox keeps every head in exactly one of two heaps:
//   - ready, ordered by the global order: pending heads with no retry time,
//     and heads whose retry or lease time had passed at some Claim;
//   - waiting, ordered by the time the head becomes claimable: leased heads
//     (by lease end) and pending heads with a retry time.
//
// Claim moves the waiting heads that are due to ready, then takes the
// oldest claimable heads from ready: O((due + taken) log n) rather than a
// sort of every partition.
type headHeap struct {
	recs []*inboxRec
	less func(a, b *inboxRec) bool
}

func byOrder(a, b *inboxRec) bool { return a.order < b.order }

func byDue(a, b *inboxRec) bool {
	da, db := a.due(), b.due()
	if da.Equal(db) {
		return a.order < b.order
	}
	return da.Before(db)
}

// due is when a head becomes claimable.
func (r *inboxRec) due() time.Time {
	if r.state == inboxLeased {
		return r.leaseUntil
	}
	return r.retryAt
}

func (h *headHeap) len() int { return len(h.recs) }

func (h *headHeap) top() *inboxRec { return h.recs[0] }

func (h *headHeap) push(r *inboxRec) {
	r.heap = h
	r.hi = len(h.recs)
	h.recs = append(h.recs, r)
	h.up(r.hi)
}

// remove takes r out of the heap; r must be in it.
func (h *headHeap) remove(r *inboxRec) {
	i, last := r.hi, len(h.recs)-1
	if i != last {
		h.swap(i, last)
	}
	h.recs[last] = nil
	h.recs = h.recs[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	r.heap, r.hi = nil, -1
}

func (h *headHeap) swap(i, j int) {
	h.recs[i], h.recs[j] = h.recs[j], h.recs[i]
	h.recs[i].hi = i
	h.recs[j].hi = j
}

func (h *headHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.recs[i], h.recs[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down sifts i down and reports whether it moved.
func (h *headHeap) down(i int) bool {
	start, n := i, len(h.recs)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h.less(h.recs[r], h.recs[c]) {
			c = r
		}
		if !h.less(h.recs[c], h.recs[i]) {
			break
		}
		h.swap(i, c)
		i = c
	}
	return i > start
}
