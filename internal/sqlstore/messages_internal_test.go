package sqlstore

import (
	"slices"
	"testing"

	"github.com/impactchat/impactchat/storage"
)

// UpdateStatus's one statement must refuse exactly the states that
// Delivery.Supersedes refuses.
func TestNotSupersededMatchesSupersedes(t *testing.T) {
	for _, d := range deliveries {
		if !d.Supersedes(storage.DeliveryNone) {
			continue // not a state UpdateStatus takes
		}
		held := notSuperseded(d)
		for _, prev := range append(slices.Clone(deliveries), "unknown") {
			refused := slices.Contains(held, any(string(prev)))
			if refused == d.Supersedes(prev) {
				t.Errorf("%q over %q: the statement refuses it = %v, Supersedes = %v", d, prev, refused, d.Supersedes(prev))
			}
		}
	}
	if !slices.Contains(deliveries, storage.DeliveryPlayed) {
		t.Fatal("deliveries misses a state")
	}
}
