package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
)

type inbox struct{ s *Store }

var _ storage.Inbox = inbox{}

// Inbox item states: 0 active, 2 dead-lettered, 3 acked. An active item is
// leased while its owner is set: a claim writes only the owner and the
// lease, never the state, so that it changes no column any index holds or
// is filtered on (the partial indexes all filter on state, and changing it
// would rewrite an entry in each). State 1 (the leased state before schema
// version 5 of SQLite and 4 of Postgres) is no longer written; the queries
// still read it as active.

// The codes Dialect.InboxStats gives for each count.
const (
	statPending = 0
	statLeased  = 1
	statDead    = 2
	statDone    = 3
)

// The key, partition and payload of an item are sealed together in body,
// under the data key of the partition's subject (for PartitionOf(ref) that
// is the contact's key, so erasure shreds it). key_hash deduplicates and
// part (the partition's subject) orders; both are keyed hashes.

func (b inbox) keyHash(key string) []byte { return b.s.index.Index("inbox key", key) }

// putChunk is how many items one INSERT of Put carries.
const putChunk = 100

func packItem(it storage.InboxItem) []byte {
	return seal.AAD(it.Key, it.Partition, string(it.Payload))
}

// nextCounted draws n order numbers and adds n to the count of items
// (Dialect.InboxRows) in one statement, for a Put that expects to insert
// all of its n items; Put takes back the count of those it did not insert.
func (b inbox) nextCounted(ctx context.Context, q db, n int) ([]int64, error) {
	rows, err := q.query(ctx, "UPDATE counters SET value = value + ? WHERE name IN ('inbox_order', 'inbox_rows') RETURNING name, value", n)
	if err != nil {
		return nil, err
	}
	var last int64
	found := 0
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			rows.Close()
			return nil, err
		}
		found++
		if name == "inbox_order" {
			last = v
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if found != 2 {
		return nil, fmt.Errorf("counters inbox_order and inbox_rows: %d of 2 found: %w", found, storage.ErrCorrupt)
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = last - int64(n) + 1 + int64(i)
	}
	return out, nil
}

func (b inbox) Put(ctx context.Context, items []storage.InboxItem, now time.Time) (storage.PutResult, error) {
	res, _, err := b.put(ctx, items, now, "", 0, 0)
	return res, err
}

var _ storage.PutClaimer = inbox{}

func (b inbox) PutClaim(ctx context.Context, items []storage.InboxItem, now time.Time, owner string, max int, lease time.Duration) (storage.PutResult, []storage.Claimed, error) {
	if err := storage.CheckPutClaim(owner, max, lease); err != nil {
		return storage.PutResult{}, nil, fmt.Errorf("inbox put: %w", err)
	}
	return b.put(ctx, items, now, owner, max, lease)
}

// BusyPartsQuery is busyParts' query for n partitions (exported for a test
// of its plan).
func BusyPartsQuery(n int) string {
	return "SELECT DISTINCT part FROM inbox WHERE state IN (0, 1) AND part IN (" + placeholders(n) + ")"
}

// busyParts returns which of subjects have an active item: a partition
// whose new item must wait for it.
func (b inbox) busyParts(ctx context.Context, q db, subjects [][]byte) (map[string]bool, error) {
	busy := map[string]bool{}
	var want []any
	seen := map[string]bool{}
	for _, s := range subjects {
		if !seen[string(s)] {
			seen[string(s)] = true
			want = append(want, s)
		}
	}
	for len(want) > 0 {
		n := min(len(want), 200)
		rows, err := q.query(ctx, BusyPartsQuery(n), want[:n]...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p []byte
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, err
			}
			busy[string(p)] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		want = want[n:]
	}
	return busy, nil
}

// put is Put, leasing to owner the items PutClaim describes when max > 0.
func (b inbox) put(ctx context.Context, items []storage.InboxItem, now time.Time, owner string, max int, lease time.Duration) (storage.PutResult, []storage.Claimed, error) {
	for i, it := range items {
		if it.Key == "" {
			return storage.PutResult{}, nil, fmt.Errorf("inbox put: %w", fieldErr(fmt.Sprintf("items[%d].key", i), "is empty"))
		}
		if it.Partition == "" {
			return storage.PutResult{}, nil, fmt.Errorf("inbox put: %w", fieldErr(fmt.Sprintf("items[%d].partition", i), "is empty"))
		}
	}
	s := b.s
	if err := s.open(ctx); err != nil {
		return storage.PutResult{}, nil, fmt.Errorf("inbox put: %w", err)
	}
	fresh := make([]bool, len(items))
	if len(items) == 0 {
		return storage.PutResult{Fresh: fresh}, nil, nil
	}
	leased := make([]bool, len(items)) // leased to owner, if inserted
	var claimed []storage.Claimed
	// What does not depend on the database is done before the writer is
	// taken: every other write waits while it is held.
	subjects := make([][]byte, len(items))
	hashes := make([][]byte, len(items))
	packed := make([][]byte, len(items))
	for i, it := range items {
		subjects[i] = s.partSubject(it.Partition)
		hashes[i] = b.keyHash(it.Key)
		packed[i] = packItem(it)
	}
	until := ts(now.Add(lease))
	err := s.writeFirst(ctx, func(q db) error {
		clear(fresh)
		clear(leased)
		claimed = nil
		if s.d.LockPartitions != nil {
			if err := s.d.LockPartitions(ctx, q.querier(), subjects); err != nil {
				return err
			}
		}
		if max > 0 {
			// The partitions are locked (Postgres) or the writer is
			// (SQLite): no other put or claim changes which are busy.
			busy, err := b.busyParts(ctx, q, subjects)
			if err != nil {
				return err
			}
			n := 0
			for i, sub := range subjects {
				if !busy[string(sub)] && n < max {
					leased[i] = true
					n++
				}
				busy[string(sub)] = true
			}
		}
		var ords []int64
		var err error
		if s.d.InboxRows {
			ords, err = b.nextCounted(ctx, q, len(items))
		} else {
			ords, err = s.d.Next(ctx, q.querier(), "inbox_order", len(items))
		}
		if err != nil {
			return err
		}
		k := s.keys()
		if err := k.load(ctx, q, subjects); err != nil {
			return err
		}
		const cols = 10
		args := make([]any, 0, cols*len(items))
		for i, it := range items {
			box, err := k.forWrite(ctx, q, subjects[i])
			if err != nil {
				return err
			}
			kh := hashes[i]
			body := box.Seal(packed[i], aad("inbox", "body", subjectHex(kh)))
			if leased[i] {
				args = append(args, ords[i], kh, subjects[i], body, ts(it.At), ts(now), 0, owner, until, 1)
			} else {
				args = append(args, ords[i], kh, subjects[i], body, ts(it.At), ts(now), 0, "", 0, 0)
			}
		}
		inserted := map[string]int64{} // key hash: seq
		for start := 0; start < len(items); start += putChunk {
			end := min(start+putChunk, len(items))
			rows, err := q.query(ctx, "INSERT INTO inbox (ord, key_hash, part, body, at, put_at, state, owner, lease_until, attempts) VALUES "+
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", end-start), ", ")+
				" ON CONFLICT (key_hash) DO NOTHING RETURNING key_hash, seq", args[cols*start:cols*end]...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var kh []byte
				var seq int64
				if err := rows.Scan(&kh, &seq); err != nil {
					rows.Close()
					return err
				}
				inserted[string(kh)] = seq
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		if dup := len(items) - len(inserted); dup > 0 && s.d.InboxRows {
			// nextCounted counted every item; take back those not inserted.
			if _, err := q.exec(ctx, "UPDATE counters SET value = value - ? WHERE name = 'inbox_rows'", dup); err != nil {
				return err
			}
		}
		// Of two items of one batch with the same key, the first is new.
		for i, kh := range hashes {
			seq, ok := inserted[string(kh)]
			if !ok {
				continue
			}
			fresh[i] = true
			delete(inserted, string(kh))
			if leased[i] {
				it := items[i]
				var payload []byte // as Claim reads it back
				if len(it.Payload) > 0 {
					payload = it.Payload
				}
				claimed = append(claimed, storage.Claimed{
					InboxItem:  storage.InboxItem{Key: it.Key, Partition: it.Partition, Payload: payload, At: tm(ts(it.At))},
					Seq:        seq,
					Attempts:   1,
					LeaseUntil: tm(until),
				})
			}
		}
		return nil
	})
	if err != nil {
		return storage.PutResult{}, nil, s.fail("inbox put", err)
	}
	return storage.PutResult{Fresh: fresh}, claimed, nil
}

// claimedRow is what claims and dead-letter listings read.
type claimedRow struct {
	seq, ord            int64
	keyHash, part, body []byte
	at, leaseUntil      int64
	attempts            int
	lastError           string
	wrapped             []byte
}

// damagedRow is a row whose data key opened but whose body does not: the
// row itself is damaged, not the keyring (a wrong master key fails every
// row's key, and must never send the inbox to the dead letters).
type damagedRow struct{ err error }

func (e damagedRow) Error() string { return e.err.Error() }
func (e damagedRow) Unwrap() error { return e.err }

func (b inbox) decode(ctx context.Context, k *keys, r claimedRow) (storage.Claimed, error) {
	box, err := k.open(ctx, r.part, r.wrapped)
	if err != nil {
		return storage.Claimed{}, err
	}
	pt, err := openValue(box, r.body, "inbox", "body", subjectHex(r.keyHash))
	if err != nil {
		return storage.Claimed{}, damagedRow{err}
	}
	parts, ok := unpack(pt, 3)
	if !ok {
		return storage.Claimed{}, damagedRow{fmt.Errorf("inbox body: %w", storage.ErrCorrupt)}
	}
	var payload []byte
	if len(parts[2]) > 0 {
		payload = parts[2]
	}
	return storage.Claimed{
		InboxItem: storage.InboxItem{
			Key:       string(parts[0]),
			Partition: string(parts[1]),
			Payload:   payload,
			At:        tm(r.at),
		},
		Seq:        r.seq,
		Attempts:   r.attempts,
		LeaseUntil: tm(r.leaseUntil),
		LastError:  r.lastError,
	}, nil
}

func (b inbox) Claim(ctx context.Context, owner string, max int, lease time.Duration, now time.Time) ([]storage.Claimed, error) {
	if owner == "" {
		return nil, fmt.Errorf("inbox claim: %w", fieldErr("owner", "is empty"))
	}
	if max <= 0 {
		return nil, fmt.Errorf("inbox claim: %w", fieldErr("max", fmt.Sprintf("is %d; it must be at least 1", max)))
	}
	if lease <= 0 {
		return nil, fmt.Errorf("inbox claim: %w", fieldErr("lease", "must be positive"))
	}
	s := b.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("inbox claim: %w", err)
	}
	// The limit is written "? + 0": SQLite plans a bare bound LIMIT with
	// its value, and prepares the statement again whenever the value
	// changes, which the claims of a busy server do every time.
	//
	// The head of a partition is its active item (pending or leased) with
	// the lowest ord; only a head whose retry time or lease has passed is
	// claimable. Postgres skips heads another claimer is locking.
	query := `UPDATE inbox SET owner = ?, lease_until = ?, retry_at = 0, attempts = attempts + 1
WHERE seq IN (
	SELECT i.seq FROM inbox i
	WHERE i.state IN (0, 1)
	AND ((i.owner = '' AND i.retry_at <= ?) OR (i.owner <> '' AND i.lease_until <= ?))
	AND NOT EXISTS (SELECT 1 FROM inbox j WHERE j.part = i.part AND j.state IN (0, 1) AND j.ord < i.ord)
	ORDER BY i.ord LIMIT ? + 0 ` + s.d.SkipLocked + `)
RETURNING seq, ord, key_hash, part, body, at, attempts, lease_until, last_error,
	(SELECT d.wrapped FROM dek d WHERE d.subject = inbox.part)`
	var got []claimedRow
	// One statement, so it needs no transaction around it. The bodies are
	// opened after it: every other write waits while the writer is held.
	err := s.one(ctx, true, func(ctx context.Context, q db) error {
		got = nil
		rows, err := q.query(ctx, query, owner, ts(now.Add(lease)), ts(now), ts(now), max)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r claimedRow
			if err := rows.Scan(&r.seq, &r.ord, &r.keyHash, &r.part, &r.body, &r.at, &r.attempts, &r.leaseUntil, &r.lastError, &r.wrapped); err != nil {
				rows.Close()
				return err
			}
			got = append(got, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.fail("inbox claim", err)
	}
	slices.SortFunc(got, func(a, b claimedRow) int { return cmp.Compare(a.ord, b.ord) })
	out := make([]storage.Claimed, 0, len(got))
	k := s.keys()
	for _, r := range got {
		c, err := b.decode(ctx, k, r)
		if errors.As(err, new(damagedRow)) {
			// A row damaged on disk is set aside for the operator, so that
			// it does not fail every claim and hold back the items claimed
			// with it and the person's later messages. A data key that
			// does not open (a wrong keyring) still fails the claim.
			if derr := b.DeadLetter(ctx, owner, r.seq, "corrupt: the stored event cannot be read"); derr != nil {
				return nil, s.fail("inbox claim", errors.Join(err, derr))
			}
			continue
		}
		if err != nil {
			return nil, s.fail("inbox claim", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// held runs an update on an item owner holds; none changed is ErrLeaseLost.
// Leases and acks are relaxed writes: one lost to a power cut means the
// event is handled again, which the inbox allows (at least once).
func (b inbox) held(ctx context.Context, op string, seq int64, query string, args ...any) error {
	s := b.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if args[len(args)-1] == "" { // every query held runs ends with the owner
		// Nobody holds an item in the name of no owner (a pending item's
		// owner is empty: the queries must never match it).
		return fmt.Errorf("%s %d: %w", op, seq, storage.ErrLeaseLost)
	}
	n, err := s.execOne(ctx, true, query, args...)
	if err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %d: %w", op, seq, storage.ErrLeaseLost)
	}
	return nil
}

func (b inbox) Ack(ctx context.Context, owner string, seq int64) error {
	return b.held(ctx, "inbox ack", seq,
		"UPDATE inbox SET state = 3, body = NULL, part = NULL, owner = '' WHERE seq = ? AND state IN (0, 1) AND owner = ?", seq, owner)
}

func (b inbox) Nack(ctx context.Context, owner string, seq int64, retryAt time.Time, reason string) error {
	return b.held(ctx, "inbox nack", seq,
		"UPDATE inbox SET owner = '', retry_at = ?, last_error = ? WHERE seq = ? AND state IN (0, 1) AND owner = ?",
		ts(retryAt), reason, seq, owner)
}

func (b inbox) DeadLetter(ctx context.Context, owner string, seq int64, reason string) error {
	return b.held(ctx, "inbox dead-letter", seq,
		"UPDATE inbox SET state = 2, owner = '', last_error = ? WHERE seq = ? AND state IN (0, 1) AND owner = ?",
		reason, seq, owner)
}

func (b inbox) Extend(ctx context.Context, owner string, seq int64, lease time.Duration, now time.Time) error {
	if lease <= 0 {
		return fmt.Errorf("inbox extend: %w", fieldErr("lease", "must be positive"))
	}
	return b.held(ctx, "inbox extend", seq,
		"UPDATE inbox SET lease_until = ? WHERE seq = ? AND state IN (0, 1) AND owner = ?",
		ts(now.Add(lease)), seq, owner)
}

func (b inbox) DeadLetters(ctx context.Context, limit int) ([]storage.Claimed, error) {
	if err := checkLimit(limit); err != nil {
		return nil, fmt.Errorf("inbox dead letters: %w", err)
	}
	s := b.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("inbox dead letters: %w", err)
	}
	q := s.reader()
	rows, err := q.query(ctx, `SELECT i.seq, i.ord, i.key_hash, i.part, i.body, i.at, i.attempts, i.lease_until, i.last_error, d.wrapped
FROM inbox i LEFT JOIN dek d ON d.subject = i.part
WHERE i.state = 2 ORDER BY i.ord LIMIT ?`, sqlLimit(limit))
	if err != nil {
		return nil, s.fail("inbox dead letters", err)
	}
	defer rows.Close()
	k := s.keys()
	var out []storage.Claimed
	for rows.Next() {
		var r claimedRow
		if err := rows.Scan(&r.seq, &r.ord, &r.keyHash, &r.part, &r.body, &r.at, &r.attempts, &r.leaseUntil, &r.lastError, &r.wrapped); err != nil {
			return nil, s.fail("inbox dead letters", err)
		}
		c, err := b.decode(ctx, k, r)
		if err != nil {
			return nil, s.fail("inbox dead letters", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("inbox dead letters", err)
	}
	return out, nil
}

func (b inbox) Requeue(ctx context.Context, seq int64) error {
	s := b.s
	if err := s.open(ctx); err != nil {
		return fmt.Errorf("inbox requeue: %w", err)
	}
	err := s.write(ctx, func(q db) error {
		var part []byte
		err := q.scanRow(ctx, "SELECT part FROM inbox WHERE seq = ? AND state = 2", []any{seq}, &part)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no dead-lettered item %d: %w", seq, storage.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if s.d.LockPartitions != nil {
			if err := s.d.LockPartitions(ctx, q.querier(), [][]byte{part}); err != nil {
				return err
			}
		}
		ords, err := s.d.Next(ctx, q.querier(), "inbox_order", 1)
		if err != nil {
			return err
		}
		n, err := q.exec(ctx, "UPDATE inbox SET state = 0, ord = ?, attempts = 0, retry_at = 0, lease_until = 0 WHERE seq = ? AND state = 2", ords[0], seq)
		if err == nil && n == 0 {
			err = fmt.Errorf("no dead-lettered item %d: %w", seq, storage.ErrNotFound)
		}
		return err
	})
	return s.fail("inbox requeue", err)
}

// purgeChunk is how many keys one transaction of Purge forgets, so that a
// purge of days of events never holds the writer for long.
const purgeChunk = 5000

func (b inbox) Purge(ctx context.Context, cutoff time.Time) (int, error) {
	s := b.s
	if err := s.open(ctx); err != nil {
		return 0, fmt.Errorf("inbox purge: %w", err)
	}
	total := 0
	for {
		var n int64
		err := s.write(ctx, func(q db) (err error) {
			n, err = q.exec(ctx, "DELETE FROM inbox WHERE seq IN (SELECT seq FROM inbox WHERE state = 3 AND put_at < ? LIMIT ?)", ts(cutoff), purgeChunk)
			if err != nil || n == 0 || !s.d.InboxRows {
				return err
			}
			_, err = q.exec(ctx, "UPDATE counters SET value = value - ? WHERE name = 'inbox_rows'", n)
			return err
		})
		if err != nil {
			return total, s.fail("inbox purge", err)
		}
		total += int(n)
		if n < purgeChunk {
			return total, nil
		}
	}
}

func (b inbox) Pending(ctx context.Context, partition string) (int, error) {
	if partition == "" {
		return 0, fmt.Errorf("inbox pending: %w", fieldErr("partition", "is empty"))
	}
	s := b.s
	if err := s.open(ctx); err != nil {
		return 0, fmt.Errorf("inbox pending: %w", err)
	}
	var n int
	// inbox_active holds exactly these items, by partition.
	if err := s.reader().scanRow(ctx, "SELECT COUNT(*) FROM inbox WHERE part = ? AND state IN (0, 1)",
		[]any{s.partSubject(partition)}, &n); err != nil {
		return 0, s.fail("inbox pending", err)
	}
	return n, nil
}

func (b inbox) Stats(ctx context.Context) (storage.InboxStats, error) {
	s := b.s
	if err := s.open(ctx); err != nil {
		return storage.InboxStats{}, fmt.Errorf("inbox stats: %w", err)
	}
	rows, err := s.reader().query(ctx, s.d.InboxStats)
	if err != nil {
		return storage.InboxStats{}, s.fail("inbox stats", err)
	}
	defer rows.Close()
	var st storage.InboxStats
	for rows.Next() {
		var state, n int
		if err := rows.Scan(&state, &n); err != nil {
			return storage.InboxStats{}, s.fail("inbox stats", err)
		}
		switch state {
		case statPending:
			st.Pending += n
		case statLeased:
			st.Leased += n
		case statDead:
			st.Dead += n
		case statDone:
			st.Done += n
		}
	}
	if err := rows.Err(); err != nil {
		return storage.InboxStats{}, s.fail("inbox stats", err)
	}
	return st, nil
}

// BatchAcker is storage.BatchAcker, which the SQL stores' inboxes have.
type BatchAcker = storage.BatchAcker

var _ BatchAcker = inbox{}

// AckBatch implements BatchAcker.
func (b inbox) AckBatch(ctx context.Context, owner string, seqs []int64) ([]int64, error) {
	s := b.s
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("inbox ack batch: %w", err)
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	if owner == "" { // see held
		return slices.Clone(seqs), nil
	}
	var lost []int64
	ack := func(ctx context.Context, q db) error {
		lost = lost[:0]
		acked := make(map[int64]bool, len(seqs))
		for rest := seqs; len(rest) > 0; {
			n := min(len(rest), ackChunk)
			args := make([]any, 0, n+1)
			args = append(args, owner)
			for _, seq := range rest[:n] {
				args = append(args, seq)
			}
			rows, err := q.query(ctx, "UPDATE inbox SET state = 3, body = NULL, part = NULL, owner = '' WHERE state IN (0, 1) AND owner = ? AND seq IN ("+
				placeholders(n)+") RETURNING seq", args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var seq int64
				if err := rows.Scan(&seq); err != nil {
					rows.Close()
					return err
				}
				acked[seq] = true
			}
			if err := rows.Close(); err != nil {
				return err
			}
			rest = rest[n:]
		}
		for _, seq := range seqs {
			if !acked[seq] {
				lost = append(lost, seq)
			}
		}
		return nil
	}
	var err error
	if len(seqs) <= ackChunk {
		// One statement stands alone: as cheap as the store allows.
		err = s.one(ctx, true, ack)
	} else {
		// Several statements share one transaction, so that a failure part
		// way acks none of them, as the error then says.
		err = s.writeMode(ctx, true, false, func(q db) error { return ack(ctx, q) })
	}
	if err != nil {
		return nil, s.fail("inbox ack batch", err)
	}
	return lost, nil
}

// ackChunk is the most items one ack statement names.
const ackChunk = 200
