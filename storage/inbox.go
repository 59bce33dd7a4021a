package storage

import (
	"context"
	"fmt"
	"time"
)

// InboxItem is one event offered to the inbox.
type InboxItem struct {
	// Key deduplicates: an item whose key the inbox has seen (within the
	// retention kept by Purge) is not stored again.
	Key string
	// Partition orders: items of one partition are claimed one at a time and
	// in the order they were put. The runtime uses the contact's channel and
	// identifier; it is personal data and backends store it hashed.
	Partition string
	// Payload is the serialised event. It is personal data and backends
	// store it sealed.
	Payload []byte
	// At is when the event happened, for operators; order is the order of Put.
	At time.Time
}

// Claimed is an inbox item leased to a worker.
type Claimed struct {
	InboxItem
	Seq        int64     // the inbox's id for the item; Ack and Nack take it
	Attempts   int       // how many times it was claimed, this one included
	LeaseUntil time.Time // the lease ends then unless acked or nacked
	LastError  string    // the reason given by the last Nack (no personal data)
}

// PutResult says, for each item of a Put, whether it was new.
type PutResult struct {
	Fresh []bool // Fresh[i] is false when items[i] was a duplicate
}

// Inbox is the durable, deduplicated intake of events.
//
// The rules every backend keeps:
//   - Put stores a batch atomically: all new items or none.
//   - Claim never leases two items of one partition at once, and never leases
//     an item while an earlier item of its partition is neither acked nor
//     dead-lettered: one contact's events are handled one at a time, in order.
//   - An item whose lease ended without Ack or Nack can be claimed again (the
//     worker died); Attempts counts every claim.
//   - Acked items keep their key for deduplication until Purge removes keys
//     older than its cutoff; their payload is dropped at once.
type Inbox interface {
	// Put adds items, skipping those whose key was seen; it returns only when
	// the new items are durable.
	Put(ctx context.Context, items []InboxItem, now time.Time) (PutResult, error)
	// Claim leases up to max items whose partitions are free, oldest first,
	// to owner until now+lease. An empty result is not an error. An empty
	// owner, max below 1 or a lease that is not positive is ErrInvalid.
	Claim(ctx context.Context, owner string, max int, lease time.Duration, now time.Time) ([]Claimed, error)
	// Ack marks an item done. ErrLeaseLost if owner no longer holds it
	// (Ack, Nack, DeadLetter and Extend say so too for an unknown seq).
	// Ack takes no time: a lease that ended but was not claimed again is
	// still held.
	Ack(ctx context.Context, owner string, seq int64) error
	// Nack releases an item for a retry no earlier than retryAt, keeping its
	// partition blocked until then, and records reason (no personal data).
	Nack(ctx context.Context, owner string, seq int64, retryAt time.Time, reason string) error
	// DeadLetter sets an item aside for an operator with reason, and frees
	// its partition so the contact's later events go on.
	DeadLetter(ctx context.Context, owner string, seq int64, reason string) error
	// Extend pushes the lease of an item still held by owner to now+lease.
	Extend(ctx context.Context, owner string, seq int64, lease time.Duration, now time.Time) error
	// DeadLetters lists dead-lettered items, oldest first.
	DeadLetters(ctx context.Context, limit int) ([]Claimed, error)
	// Requeue puts a dead-lettered item back at the end of its partition's
	// queue with its attempts reset. ErrNotFound if no dead-lettered item
	// has seq.
	Requeue(ctx context.Context, seq int64) error
	// Purge forgets the keys of acked items put before cutoff (the now given
	// to Put) and reports how many. Keep them at least 14 days: Meta retries
	// a delivery for up to 7.
	Purge(ctx context.Context, cutoff time.Time) (int, error)
	// Stats counts items by state, for metrics and health checks.
	Stats(ctx context.Context) (InboxStats, error)
	// Pending counts the items of a partition that are neither acked nor
	// dead-lettered (pending or leased): what is still to be handled for
	// it, the item being handled included. Before Erase, it tells whether
	// the erasure would drop work not yet done.
	Pending(ctx context.Context, partition string) (int, error)
}

// BatchAcker is an optional ability of an Inbox, found by type assertion:
// acknowledging many items in one call, for about the cost of one Ack.
// chat.Server uses it when the inbox has it, gathering the acks of workers
// that finish at about the same time.
type BatchAcker interface {
	// AckBatch acks every item of seqs that owner still holds and returns
	// those it no longer held (as Ack would have said ErrLeaseLost).
	AckBatch(ctx context.Context, owner string, seqs []int64) (lost []int64, err error)
}

// PutClaimer is an optional ability of an Inbox, found by type assertion:
// leasing new items to a claimer in the write that stores them, which
// spares the claim that would fetch them back. chat.Server uses it to hand
// the events an Accept stores straight to its idle workers.
type PutClaimer interface {
	// PutClaim is Put that also leases, to owner until now+lease, items a
	// Claim at now could take: of the first max items that lead their
	// partition, those it adds. An item leads when its partition has no
	// active item in the store and none among the items before it (added
	// or not: a duplicate that leads is not leased and still counts). The
	// leased items are returned as Claim returns them (Attempts 1), in the
	// order of items; the others wait for a Claim. With max 0 it is Put.
	// An empty owner, a negative max, or a lease that is not positive with
	// max above 0 is ErrInvalid.
	PutClaim(ctx context.Context, items []InboxItem, now time.Time, owner string, max int, lease time.Duration) (PutResult, []Claimed, error)
}

// CheckPutClaim checks PutClaim's arguments as every backend does.
func CheckPutClaim(owner string, max int, lease time.Duration) error {
	switch {
	case max < 0:
		return &FieldError{Field: "max", Problem: fmt.Sprintf("is %d; it must not be negative", max)}
	case max == 0:
		return nil
	case owner == "":
		return &FieldError{Field: "owner", Problem: "is empty"}
	case lease <= 0:
		return &FieldError{Field: "lease", Problem: "must be positive"}
	}
	return nil
}

// InboxStats counts inbox items.
type InboxStats struct {
	Pending int // waiting to be claimed (including those waiting for a retry)
	Leased  int
	Dead    int
	Done    int // acked, key still kept for deduplication
}
