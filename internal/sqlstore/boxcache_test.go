package sqlstore

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/seal"
)

func TestBoxCache(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := newBoxCache()
	c.now = func() time.Time { return now }
	box, err := seal.New(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	subj, wrapped := []byte("subject-1"), []byte("wrapped-1")
	c.put(subj, wrapped, box)

	if got := c.get(subj, wrapped); got != box {
		t.Fatal("the key just opened is not served")
	}
	if got := c.get(subj, []byte("wrapped-2")); got != nil {
		t.Fatal("served for a different wrapped value (a rotated key)")
	}
	if got := c.get([]byte("subject-2"), wrapped); got != nil {
		t.Fatal("served for another subject")
	}
	wrapped[0] = 'X' // the caller's buffer is not kept
	if got := c.get(subj, []byte("wrapped-1")); got != box {
		t.Fatal("the entry changed with the caller's buffer")
	}

	c.drop(subj)
	if got := c.get(subj, []byte("wrapped-1")); got != nil {
		t.Fatal("served after drop (an erasure)")
	}

	c.put(subj, []byte("wrapped-1"), box)
	now = now.Add(boxCacheTTL + time.Second)
	if got := c.get(subj, []byte("wrapped-1")); got != nil {
		t.Fatal("served after its time in memory ended")
	}

	for i := range boxCacheSize + 10 {
		c.put([]byte{byte(i), byte(i >> 8), byte(i >> 16)}, []byte("w"), box)
	}
	if n := len(c.entries); n > boxCacheSize {
		t.Fatalf("%d entries; the bound is %d", n, boxCacheSize)
	}
}
