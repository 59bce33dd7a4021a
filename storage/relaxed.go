package storage

import "context"

type relaxedKey struct{}

// WithRelaxedWrites returns ctx marking the writes made with it as ones the
// caller makes again if they are lost: the writes of a handler working on
// an inbox event, which is handled again unless its Ack survives. A store
// may then commit them without waiting for the disk, as the inbox's own
// leases and acks are, provided its log keeps commits in order (SQLite's
// write-ahead log, Postgres's WAL): a power cut then loses only the last
// commits, so a write is never lost while the Ack that follows it survives.
// A store that cannot promise that order ignores the mark.
func WithRelaxedWrites(ctx context.Context) context.Context {
	return context.WithValue(ctx, relaxedKey{}, true)
}

// RelaxedWrites reports whether ctx carries WithRelaxedWrites.
func RelaxedWrites(ctx context.Context) bool {
	v, _ := ctx.Value(relaxedKey{}).(bool)
	return v
}
