package sqlstore

import (
	"bytes"
	"sync"
	"time"

	"github.com/impactchat/impactchat/internal/seal"
)

const (
	// boxCacheSize bounds the data keys kept opened in memory.
	boxCacheSize = 10000
	// boxCacheTTL bounds how long an opened data key stays in memory after
	// it was opened: another process sharing the database may erase the
	// person meanwhile, and a shredded key should not outlive that by much.
	boxCacheTTL = time.Minute
)

// boxCache keeps data keys opened, so that the operations of one person's
// conversation do not each unwrap the same key with the keyring and set up
// the same cipher again. An entry serves only the exact wrapped value it
// was opened from, read from the database with the row it seals: a key
// rotated or erased in the database is never served from here. Erase drops
// the person's entry at once.
type boxCache struct {
	mu      sync.Mutex
	entries map[string]boxEntry // by subject
	now     func() time.Time
}

type boxEntry struct {
	wrapped []byte
	box     *seal.Box
	until   time.Time
}

func newBoxCache() *boxCache {
	return &boxCache{entries: make(map[string]boxEntry), now: time.Now}
}

// A nil *boxCache keeps nothing (a store built for a migration step).

// get returns the box opened from wrapped for subject, or nil.
func (c *boxCache) get(subject, wrapped []byte) *seal.Box {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(subject)]
	if !ok || !bytes.Equal(e.wrapped, wrapped) {
		return nil
	}
	if c.now().After(e.until) {
		delete(c.entries, string(subject))
		return nil
	}
	return e.box
}

// latest returns subject's key as last opened, with the wrapped value it
// was opened from, or nil. A caller must check, in the transaction that
// uses it, that the database still holds that wrapped value.
func (c *boxCache) latest(subject []byte) ([]byte, *seal.Box) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(subject)]
	if !ok || c.now().After(e.until) {
		return nil, nil
	}
	return e.wrapped, e.box
}

func (c *boxCache) put(subject, wrapped []byte, box *seal.Box) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= boxCacheSize {
		// Drop the expired entries, and if that frees nothing, all of
		// them: a simple bound that costs one sweep per boxCacheSize puts.
		for k, e := range c.entries {
			if now.After(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= boxCacheSize {
			clear(c.entries)
		}
	}
	c.entries[string(subject)] = boxEntry{wrapped: bytes.Clone(wrapped), box: box, until: now.Add(boxCacheTTL)}
}

// drop forgets subject's key.
func (c *boxCache) drop(subject []byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, string(subject))
}
