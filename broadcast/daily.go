package broadcast

import (
	"sync"
	"time"
)

// Meta's messaging limit tiers: how many people outside their customer
// service window a business may start conversations with in a moving 24
// hours. Zero means unlimited.
const (
	Tier250       = 250
	Tier2K        = 2_000
	Tier10K       = 10_000
	Tier100K      = 100_000
	TierUnlimited = 0
)

// dailyWindow is the period the messaging limit counts over.
const dailyWindow = 24 * time.Hour

// daily counts the distinct people reached outside their window in the last
// 24 hours, against a limit.
type daily struct {
	mu    sync.Mutex
	limit int
	seen  map[string]time.Time // person → when counted
	order []counted            // oldest first
}

type counted struct {
	key string
	at  time.Time
}

func newDaily(limit int) *daily {
	return &daily{limit: limit, seen: make(map[string]time.Time)}
}

// expire forgets people counted a full window before now, and drops the
// entries of people counted again since (stale) from the front of order, so
// that order[0] is the person who leaves the window first.
func (d *daily) expire(now time.Time) {
	i := 0
	for ; i < len(d.order); i++ {
		c := d.order[i]
		current := d.seen[c.key].Equal(c.at)
		if current && now.Before(c.at.Add(dailyWindow)) {
			break
		}
		if current {
			delete(d.seen, c.key)
		}
	}
	if i > 0 {
		d.order = append(d.order[:0], d.order[i:]...)
	}
}

// take counts the person at now if the limit allows it, or reports when the
// oldest counted person leaves the window. A person counted in the last 24
// hours takes no new place, but is counted from now on: Meta counts the
// people reached in a moving 24 hours, and this send reaches them again.
func (d *daily) take(key string, now time.Time) (ok bool, wait time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now)
	if prev, ok := d.seen[key]; ok {
		if now.After(prev) {
			d.add(key, now)
		}
		return true, time.Time{}
	}
	if len(d.seen) >= d.limit {
		return false, d.order[0].at.Add(dailyWindow)
	}
	d.add(key, now)
	return true, time.Time{}
}

// note counts a person reached at at, without checking the limit: used to
// remember sends made before a restart.
func (d *daily) note(key string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if prev, ok := d.seen[key]; ok && !at.After(prev) {
		return
	}
	d.add(key, at)
}

func (d *daily) add(key string, at time.Time) {
	d.seen[key] = at
	// Keep order sorted by time; sends arrive almost in order, so this
	// insertion walks back a step or two at most.
	i := len(d.order)
	for i > 0 && d.order[i-1].at.After(at) {
		i--
	}
	d.order = append(d.order, counted{})
	copy(d.order[i+1:], d.order[i:])
	d.order[i] = counted{key: key, at: at}
}

// used returns how many people are counted at now.
func (d *daily) used(now time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now)
	return len(d.seen)
}
