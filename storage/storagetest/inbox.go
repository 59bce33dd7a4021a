package storagetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

var inboxTests = []test{
	{"PutReportsFresh", inboxPutReportsFresh},
	{"PutValidatesAtomically", inboxPutValidates},
	{"PutEmptyBatch", inboxPutEmpty},
	{"ClaimRoundTrip", inboxClaimRoundTrip},
	{"ClaimOnePerPartitionInOrder", inboxClaimOnePerPartition},
	{"ClaimOldestFirstUpToMax", inboxClaimOldestFirst},
	{"ClaimValidates", inboxClaimValidates},
	{"AckNeedsTheLease", inboxAckNeedsLease},
	{"AckedKeysDeduplicate", inboxAckedKeysDeduplicate},
	{"NackBlocksPartitionUntilRetry", inboxNackBlocks},
	{"ExpiredLeaseIsReclaimed", inboxExpiredLease},
	{"ExtendPushesLease", inboxExtend},
	{"DeadLetterFreesPartition", inboxDeadLetter},
	{"RequeueGoesToTheEnd", inboxRequeue},
	{"DeadLettersLimit", inboxDeadLettersLimit},
	{"PurgeForgetsOldAckedKeys", inboxPurge},
	{"Stats", inboxStats},
	{"PendingByPartition", inboxPending},
	{"PutClaimLeasesFreeHeads", inboxPutClaim},
	{"PutClaimValidates", inboxPutClaimValidates},
}

func item(key, partition string) storage.InboxItem {
	return storage.InboxItem{Key: key, Partition: partition, Payload: []byte("payload of " + key), At: t0}
}

func put(t testing.TB, st storage.Store, now time.Time, items ...storage.InboxItem) {
	t.Helper()
	of(st.Inbox().Put(t.Context(), items, now)).must(t)
}

func claim(t testing.TB, st storage.Store, owner string, max int, now time.Time) []storage.Claimed {
	t.Helper()
	return of(st.Inbox().Claim(t.Context(), owner, max, time.Minute, now)).must(t)
}

func keys(cs []storage.Claimed) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Key
	}
	return out
}

// claimOne claims with max 1 and returns the key, or "" when nothing came.
func claimOne(t testing.TB, st storage.Store, owner string, now time.Time) (string, storage.Claimed) {
	t.Helper()
	cs := claim(t, st, owner, 1, now)
	if len(cs) == 0 {
		return "", storage.Claimed{}
	}
	return cs[0].Key, cs[0]
}

func inboxPutReportsFresh(t *testing.T, st storage.Store) {
	in := st.Inbox()
	res := of(in.Put(t.Context(), []storage.InboxItem{item("a", "p"), item("b", "p")}, t0)).must(t)
	sameSlice(t, res.Fresh, []bool{true, true}, "fresh")
	res = of(in.Put(t.Context(), []storage.InboxItem{item("b", "p"), item("c", "q"), item("c", "q"), item("a", "x")}, t0)).must(t)
	sameSlice(t, res.Fresh, []bool{false, true, false, false}, "fresh with duplicates")
	stats := of(in.Stats(t.Context())).must(t)
	// Duplicates are not counted anywhere (a store that counts items as
	// it puts them must take them back).
	eq(t, stats, storage.InboxStats{Pending: 3}, "stats")
}

func inboxPutValidates(t *testing.T, st storage.Store) {
	in := st.Inbox()
	_, err := in.Put(t.Context(), []storage.InboxItem{item("a", "p"), {Key: "", Partition: "p"}}, t0)
	invalid(t, err)
	_, err = in.Put(t.Context(), []storage.InboxItem{item("a", "p"), {Key: "b", Partition: ""}}, t0)
	invalid(t, err)
	stats := of(in.Stats(t.Context())).must(t)
	eq(t, stats, storage.InboxStats{}, "stats after rejected batches")
	res := of(in.Put(t.Context(), []storage.InboxItem{item("a", "p")}, t0)).must(t)
	sameSlice(t, res.Fresh, []bool{true}, "fresh after rejected batches")
}

func inboxPutEmpty(t *testing.T, st storage.Store) {
	res := of(st.Inbox().Put(t.Context(), nil, t0)).must(t)
	eq(t, len(res.Fresh), 0, "len(fresh)")
}

func inboxClaimRoundTrip(t *testing.T, st storage.Store) {
	in := st.Inbox()
	it := storage.InboxItem{Key: "wamid.1", Partition: "whatsapp:15550000001", Payload: []byte(`{"text":"hello"}`), At: at(-time.Minute)}
	put(t, st, t0, it)
	cs := of(in.Claim(t.Context(), "w1", 10, 30*time.Second, t0)).must(t)
	if len(cs) != 1 {
		t.Fatalf("claimed %d items; want 1", len(cs))
	}
	c := cs[0]
	eq(t, c.Key, it.Key, "key")
	eq(t, c.Partition, it.Partition, "partition")
	sameBytes(t, c.Payload, it.Payload, "payload")
	sameTime(t, c.At, it.At, "at")
	eq(t, c.Attempts, 1, "attempts")
	sameTime(t, c.LeaseUntil, at(30*time.Second), "lease until")
	eq(t, c.LastError, "", "last error")
	if c.Seq == 0 {
		t.Fatal("seq is zero")
	}
	// The payload handed out is a copy.
	c.Payload[0] = 'X'
	ok(t, in.Nack(t.Context(), "w1", c.Seq, t0, "retry"))
	_, again := claimOne(t, st, "w1", t0)
	sameBytes(t, again.Payload, it.Payload, "payload after the caller changed its copy")
	eq(t, again.Seq, c.Seq, "seq of the same item")
}

func inboxClaimOnePerPartition(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a1", "A"), item("a2", "A"), item("b1", "B"), item("a3", "A"), item("b2", "B"))
	cs := claim(t, st, "w1", 10, t0)
	sameSlice(t, keys(cs), []string{"a1", "b1"}, "first claim")
	sameSlice(t, keys(claim(t, st, "w2", 10, t0)), nil, "claim while both partitions are leased")
	ok(t, in.Ack(t.Context(), "w1", cs[0].Seq))
	next := claim(t, st, "w2", 10, t0)
	sameSlice(t, keys(next), []string{"a2"}, "claim after acking a1")
	ok(t, in.Ack(t.Context(), "w1", cs[1].Seq))
	ok(t, in.Ack(t.Context(), "w2", next[0].Seq))
	sameSlice(t, keys(claim(t, st, "w1", 10, t0)), []string{"a3", "b2"}, "last claim")
}

func inboxClaimOldestFirst(t *testing.T, st storage.Store) {
	for i := range 5 {
		put(t, st, t0, item(fmt.Sprintf("k%d", i), fmt.Sprintf("p%d", i)))
	}
	sameSlice(t, keys(claim(t, st, "w1", 2, t0)), []string{"k0", "k1"}, "first claim")
	sameSlice(t, keys(claim(t, st, "w1", 2, t0)), []string{"k2", "k3"}, "second claim")
	sameSlice(t, keys(claim(t, st, "w1", 2, t0)), []string{"k4"}, "third claim")
}

func inboxClaimValidates(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a", "p"))
	_, err := in.Claim(t.Context(), "", 1, time.Minute, t0)
	invalid(t, err)
	_, err = in.Claim(t.Context(), "w", 0, time.Minute, t0)
	invalid(t, err)
	_, err = in.Claim(t.Context(), "w", -1, time.Minute, t0)
	invalid(t, err)
	_, err = in.Claim(t.Context(), "w", 1, 0, t0)
	invalid(t, err)
	stats := of(in.Stats(t.Context())).must(t)
	eq(t, stats.Pending, 1, "pending after rejected claims")
}

func inboxAckNeedsLease(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a", "p"))
	_, c := claimOne(t, st, "w1", t0)
	is(t, in.Ack(t.Context(), "w2", c.Seq), storage.ErrLeaseLost)
	is(t, in.Ack(t.Context(), "w1", c.Seq+1000), storage.ErrLeaseLost)
	is(t, in.Nack(t.Context(), "w2", c.Seq, t0, "x"), storage.ErrLeaseLost)
	is(t, in.DeadLetter(t.Context(), "w2", c.Seq, "x"), storage.ErrLeaseLost)
	is(t, in.Extend(t.Context(), "w2", c.Seq, time.Minute, t0), storage.ErrLeaseLost)
	ok(t, in.Ack(t.Context(), "w1", c.Seq))
	is(t, in.Ack(t.Context(), "w1", c.Seq), storage.ErrLeaseLost)
	is(t, in.Nack(t.Context(), "w1", c.Seq, t0, "x"), storage.ErrLeaseLost)

	// A pending item is held by nobody, not by the empty owner.
	put(t, st, t0, item("b", "q"))
	var pending int64
	for _, it := range of(in.Claim(t.Context(), "peek", 1, time.Nanosecond, t0)).must(t) {
		pending = it.Seq
	}
	ok(t, in.Nack(t.Context(), "peek", pending, t0, "released"))
	is(t, in.Ack(t.Context(), "", pending), storage.ErrLeaseLost)
	is(t, in.Nack(t.Context(), "", pending, t0, "x"), storage.ErrLeaseLost)
	is(t, in.DeadLetter(t.Context(), "", pending, "x"), storage.ErrLeaseLost)
	is(t, in.Extend(t.Context(), "", pending, time.Minute, t0), storage.ErrLeaseLost)
	eq(t, of(in.Stats(t.Context())).must(t), storage.InboxStats{Pending: 1, Done: 1}, "stats after acks by nobody")
}

func inboxAckedKeysDeduplicate(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a", "p"))
	_, c := claimOne(t, st, "w1", t0)
	ok(t, in.Ack(t.Context(), "w1", c.Seq))
	res := of(in.Put(t.Context(), []storage.InboxItem{item("a", "p")}, at(time.Hour))).must(t)
	sameSlice(t, res.Fresh, []bool{false}, "fresh after ack")
	sameSlice(t, keys(claim(t, st, "w1", 10, at(time.Hour))), nil, "claim after ack")
	stats := of(in.Stats(t.Context())).must(t)
	eq(t, stats, storage.InboxStats{Done: 1}, "stats")
}

func inboxNackBlocks(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a1", "A"), item("a2", "A"), item("b1", "B"))
	cs := claim(t, st, "w1", 10, t0)
	sameSlice(t, keys(cs), []string{"a1", "b1"}, "first claim")
	ok(t, in.Nack(t.Context(), "w1", cs[0].Seq, at(time.Minute), "upstream timeout"))
	ok(t, in.Ack(t.Context(), "w1", cs[1].Seq))
	// a2 waits behind a1 although a1 is not leased.
	sameSlice(t, keys(claim(t, st, "w1", 10, at(30*time.Second))), nil, "claim before the retry time")
	stats := of(in.Stats(t.Context())).must(t)
	eq(t, stats, storage.InboxStats{Pending: 2, Done: 1}, "stats while waiting")
	again := claim(t, st, "w2", 10, at(time.Minute))
	sameSlice(t, keys(again), []string{"a1"}, "claim at the retry time")
	eq(t, again[0].Attempts, 2, "attempts")
	eq(t, again[0].LastError, "upstream timeout", "last error")
	eq(t, again[0].Seq, cs[0].Seq, "seq")
	ok(t, in.Ack(t.Context(), "w2", again[0].Seq))
	sameSlice(t, keys(claim(t, st, "w2", 10, at(time.Minute))), []string{"a2"}, "claim after the retry succeeded")
}

func inboxExpiredLease(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a1", "A"), item("a2", "A"))
	cs := of(in.Claim(t.Context(), "w1", 10, 30*time.Second, t0)).must(t)
	sameSlice(t, keys(cs), []string{"a1"}, "first claim")
	sameSlice(t, keys(claim(t, st, "w2", 10, at(10*time.Second))), nil, "claim during the lease")
	re := claim(t, st, "w2", 10, at(30*time.Second))
	sameSlice(t, keys(re), []string{"a1"}, "claim once the lease ended")
	eq(t, re[0].Attempts, 2, "attempts")
	is(t, in.Ack(t.Context(), "w1", cs[0].Seq), storage.ErrLeaseLost)
	ok(t, in.Ack(t.Context(), "w2", re[0].Seq))
	sameSlice(t, keys(claim(t, st, "w1", 10, at(31*time.Second))), []string{"a2"}, "next item")
}

func inboxExtend(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a", "p"))
	cs := of(in.Claim(t.Context(), "w1", 1, 30*time.Second, t0)).must(t)
	ok(t, in.Extend(t.Context(), "w1", cs[0].Seq, 30*time.Second, at(20*time.Second)))
	sameSlice(t, keys(claim(t, st, "w2", 1, at(40*time.Second))), nil, "claim within the extended lease")
	invalid(t, in.Extend(t.Context(), "w1", cs[0].Seq, 0, at(20*time.Second)))
	re := claim(t, st, "w2", 1, at(50*time.Second))
	sameSlice(t, keys(re), []string{"a"}, "claim after the extended lease")
	is(t, in.Extend(t.Context(), "w1", cs[0].Seq, time.Minute, at(50*time.Second)), storage.ErrLeaseLost)
}

func inboxDeadLetter(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a1", "A"), item("a2", "A"))
	_, c := claimOne(t, st, "w1", t0)
	ok(t, in.DeadLetter(t.Context(), "w1", c.Seq, "handler: bad payload"))
	is(t, in.Ack(t.Context(), "w1", c.Seq), storage.ErrLeaseLost)
	sameSlice(t, keys(claim(t, st, "w1", 10, t0)), []string{"a2"}, "claim after dead-lettering a1")
	dead := of(in.DeadLetters(t.Context(), 0)).must(t)
	sameSlice(t, keys(dead), []string{"a1"}, "dead letters")
	eq(t, dead[0].LastError, "handler: bad payload", "reason")
	eq(t, dead[0].Seq, c.Seq, "seq")
	eq(t, dead[0].Partition, "A", "partition")
	sameBytes(t, dead[0].Payload, item("a1", "A").Payload, "payload kept for the operator")
	stats := of(in.Stats(t.Context())).must(t)
	eq(t, stats, storage.InboxStats{Leased: 1, Dead: 1}, "stats")
	res := of(in.Put(t.Context(), []storage.InboxItem{item("a1", "A")}, t0)).must(t)
	sameSlice(t, res.Fresh, []bool{false}, "fresh of a dead-lettered key")
}

func inboxRequeue(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a1", "A"), item("a2", "A"), item("a3", "A"))
	_, c := claimOne(t, st, "w1", t0)
	ok(t, in.Nack(t.Context(), "w1", c.Seq, t0, "first failure"))
	_, c = claimOne(t, st, "w1", t0)
	eq(t, c.Attempts, 2, "attempts before dead-lettering")
	ok(t, in.DeadLetter(t.Context(), "w1", c.Seq, "gave up"))
	is(t, in.Requeue(t.Context(), c.Seq+1000), storage.ErrNotFound)
	ok(t, in.Requeue(t.Context(), c.Seq))
	is(t, in.Requeue(t.Context(), c.Seq), storage.ErrNotFound)
	eq(t, len(of(in.DeadLetters(t.Context(), 0)).must(t)), 0, "dead letters after requeue")
	var order []string
	for {
		k, c := claimOne(t, st, "w1", t0)
		if k == "" {
			break
		}
		if k == "a1" {
			eq(t, c.Attempts, 1, "attempts after requeue")
		}
		order = append(order, k)
		ok(t, in.Ack(t.Context(), "w1", c.Seq))
	}
	sameSlice(t, order, []string{"a2", "a3", "a1"}, "order after requeue")
}

func inboxDeadLettersLimit(t *testing.T, st storage.Store) {
	in := st.Inbox()
	for i := range 3 {
		put(t, st, t0, item(fmt.Sprintf("k%d", i), fmt.Sprintf("p%d", i)))
	}
	for _, c := range claim(t, st, "w1", 10, t0) {
		ok(t, in.DeadLetter(t.Context(), "w1", c.Seq, "x"))
	}
	sameSlice(t, keys(of(in.DeadLetters(t.Context(), 2)).must(t)), []string{"k0", "k1"}, "dead letters, limit 2")
	sameSlice(t, keys(of(in.DeadLetters(t.Context(), 0)).must(t)), []string{"k0", "k1", "k2"}, "dead letters, no limit")
	_, err := in.DeadLetters(t.Context(), -1)
	invalid(t, err)
}

func inboxPurge(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("old", "A"), item("pending", "B"))
	put(t, st, at(time.Hour), item("new", "C"))
	for _, c := range claim(t, st, "w1", 10, at(time.Hour)) {
		if c.Key != "pending" {
			ok(t, in.Ack(t.Context(), "w1", c.Seq))
		}
	}
	eq(t, of(in.Purge(t.Context(), at(-time.Hour))).must(t), 0, "purged before everything")
	eq(t, of(in.Purge(t.Context(), at(30*time.Minute))).must(t), 1, "purged")
	res := of(in.Put(t.Context(), []storage.InboxItem{item("old", "A"), item("new", "C"), item("pending", "B")}, at(2*time.Hour))).must(t)
	sameSlice(t, res.Fresh, []bool{true, false, false}, "fresh after purge")
	stats := of(in.Stats(t.Context())).must(t)
	eq(t, stats, storage.InboxStats{Pending: 1, Leased: 1, Done: 1}, "stats after purge")
}

func inboxStats(t *testing.T, st storage.Store) {
	in := st.Inbox()
	put(t, st, t0, item("a1", "A"), item("a2", "A"), item("b1", "B"), item("c1", "C"), item("d1", "D"))
	cs := claim(t, st, "w1", 3, t0)
	sameSlice(t, keys(cs), []string{"a1", "b1", "c1"}, "claim")
	ok(t, in.Ack(t.Context(), "w1", cs[1].Seq))
	ok(t, in.DeadLetter(t.Context(), "w1", cs[2].Seq, "x"))
	stats := of(in.Stats(t.Context())).must(t)
	eq(t, stats, storage.InboxStats{Pending: 2, Leased: 1, Dead: 1, Done: 1}, "stats")
}

// inboxPending: Pending counts a partition's items neither acked nor
// dead-lettered, the leased ones included, and none of other partitions.
func inboxPending(t *testing.T, st storage.Store) {
	in := st.Inbox()
	ctx := t.Context()
	pending := func(partition string) int {
		t.Helper()
		return of(in.Pending(ctx, partition)).must(t)
	}
	eq(t, pending("A"), 0, "an unknown partition")
	put(t, st, t0, item("a1", "A"), item("a2", "A"), item("a3", "A"), item("a4", "A"), item("b1", "B"))
	eq(t, pending("A"), 4, "A, all pending")
	cs := claim(t, st, "w1", 2, t0)
	sameSlice(t, keys(cs), []string{"a1", "b1"}, "claim")
	eq(t, pending("A"), 4, "A, its head leased")
	ok(t, in.Ack(ctx, "w1", cs[0].Seq))
	eq(t, pending("A"), 3, "A after an ack")
	cs = claim(t, st, "w1", 1, t0)
	sameSlice(t, keys(cs), []string{"a2"}, "claim")
	ok(t, in.DeadLetter(ctx, "w1", cs[0].Seq, "x"))
	eq(t, pending("A"), 2, "A after a dead letter")
	eq(t, pending("B"), 1, "B, leased")
	_, err := in.Pending(ctx, "")
	invalid(t, err)
}

// putClaimer returns the store's inbox as a PutClaimer, skipping the test
// when it is not one.
func putClaimer(t *testing.T, st storage.Store) storage.PutClaimer {
	t.Helper()
	pc, ok := st.Inbox().(storage.PutClaimer)
	if !ok {
		t.Skip("the inbox is not a storage.PutClaimer")
	}
	return pc
}

// inboxPutClaim: PutClaim leases what a Claim at the same time could take
// and no more: the first item of each free partition, in order, of the
// first max such; items behind a busy partition, behind an earlier item of
// theirs in the batch, or over max wait for Claim; a duplicate is neither
// added nor leased, and counts.
func inboxPutClaim(t *testing.T, st storage.Store) {
	pc := putClaimer(t, st)
	in := st.Inbox()
	ctx := t.Context()
	put(t, st, t0, item("busy1", "B"), item("done", "D"))
	held := claim(t, st, "w0", 10, t0)
	sameSlice(t, keys(held), []string{"busy1", "done"}, "set-up claim")
	ok(t, in.Ack(ctx, "w0", held[1].Seq))

	items := []storage.InboxItem{item("a1", "A"), item("b2", "B"), item("a2", "A"), item("done", "C"), item("c1", "C"), item("d1", "D"), item("e1", "E")}
	res, cs, err := pc.PutClaim(ctx, items, t0, "w1", 3, time.Minute)
	ok(t, err)
	sameSlice(t, res.Fresh, []bool{true, true, true, false, true, true, true}, "fresh")
	// a1 leads A; b2 waits for busy1; a2 for a1; the duplicate "done" leads
	// C, so c1 waits for a Claim; d1 leads D (its item is acked), the third
	// to lead; e1 is over max.
	sameSlice(t, keys(cs), []string{"a1", "d1"}, "leased by the put")
	for _, c := range cs {
		eq(t, c.Attempts, 1, c.Key+" attempts")
		sameTime(t, c.LeaseUntil, t0.Add(time.Minute), c.Key+" lease")
		sameTime(t, c.At, t0, c.Key+" at")
		sameBytes(t, c.Payload, []byte("payload of "+c.Key), c.Key+" payload")
		if c.Seq == 0 {
			t.Fatalf("%s: no seq", c.Key)
		}
	}
	eq(t, cs[0].Partition, "A", "partition")
	// A Claim now takes the free heads the put left: c1 and e1 (over max).
	sameSlice(t, keys(claim(t, st, "w2", 10, t0)), []string{"c1", "e1"}, "claim after the put")
	// The leases are the owner's, as a Claim's would be.
	if err := in.Ack(ctx, "w2", cs[0].Seq); !errors.Is(err, storage.ErrLeaseLost) {
		t.Fatalf("ack by another owner: %v; want ErrLeaseLost", err)
	}
	ok(t, in.Ack(ctx, "w1", cs[0].Seq))
	sameSlice(t, keys(claim(t, st, "w2", 10, t0)), []string{"a2"}, "claim after a1's ack")
	// A lease that ends unacked is claimed again, as any.
	again := claim(t, st, "w3", 10, t0.Add(2*time.Minute))
	if !contains(keys(again), "d1") {
		t.Fatalf("claims after d1's lease ended: %v; want d1 among them", keys(again))
	}
	// With max 0 it is Put.
	res, cs, err = pc.PutClaim(ctx, []storage.InboxItem{item("f1", "F")}, t0, "w1", 0, time.Minute)
	ok(t, err)
	sameSlice(t, res.Fresh, []bool{true}, "fresh with max 0")
	eq(t, len(cs), 0, "leased with max 0")
}

func inboxPutClaimValidates(t *testing.T, st storage.Store) {
	pc := putClaimer(t, st)
	ctx := t.Context()
	for _, c := range []struct {
		owner string
		max   int
		lease time.Duration
	}{{"", 1, time.Minute}, {"w", -1, time.Minute}, {"w", 1, 0}, {"w", 1, -time.Second}} {
		_, _, err := pc.PutClaim(ctx, []storage.InboxItem{item("a", "p")}, t0, c.owner, c.max, c.lease)
		invalid(t, err)
	}
	_, _, err := pc.PutClaim(ctx, []storage.InboxItem{item("b", "")}, t0, "w", 1, time.Minute)
	invalid(t, err)
	// Nothing of the refused calls was stored.
	sameSlice(t, keys(claim(t, st, "w", 10, t0)), nil, "claim after refused puts")
}
