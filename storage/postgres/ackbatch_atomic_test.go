package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/sqlstore"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
)

// An AckBatch too long for one statement that fails part way acks none of
// its items, as its error reports: before, the chunks before the failure
// stayed acked while the caller was told all had failed, and its retries
// then reported those leases as lost.
func TestAckBatchFailingPartWayAcksNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := postgrestest.Open(t)
	in := st.Inbox()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	items := make([]storage.InboxItem, 300)
	for i := range items {
		items[i] = storage.InboxItem{Key: fmt.Sprintf("wamid.%d", i), Partition: fmt.Sprintf("whatsapp:4915%09d", i), Payload: []byte("x"), At: now}
	}
	if _, err := in.Put(ctx, items, now); err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for len(seqs) < len(items) {
		cs, err := in.Claim(ctx, "w", len(items), time.Minute, now)
		if err != nil || len(cs) == 0 {
			t.Fatalf("claim: %d, %v", len(cs), err)
		}
		for _, c := range cs {
			seqs = append(seqs, c.Seq)
		}
	}
	// The ack of the 250th item fails, in the second statement.
	for _, q := range []string{
		fmt.Sprintf(`CREATE FUNCTION fail_one_ack() RETURNS trigger AS $$ BEGIN
			IF NEW.state = 3 AND OLD.seq = %d THEN RAISE EXCEPTION 'injected failure'; END IF;
			RETURN NEW; END $$ LANGUAGE plpgsql`, seqs[249]),
		`CREATE TRIGGER fail_one_ack BEFORE UPDATE ON inbox FOR EACH ROW EXECUTE FUNCTION fail_one_ack()`,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := in.(sqlstore.BatchAcker).AckBatch(ctx, "w", seqs); err == nil {
		t.Fatal("AckBatch succeeded through a failing statement")
	}
	stats, err := in.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Done != 0 || stats.Leased != len(items) {
		t.Fatalf("after a failed AckBatch: %+v; want all %d still leased, none done", stats, len(items))
	}
	// Once the failure is gone, the same batch acks them all.
	if _, err := st.DB().ExecContext(ctx, `DROP TRIGGER fail_one_ack ON inbox`); err != nil {
		t.Fatal(err)
	}
	if lost, err := in.(sqlstore.BatchAcker).AckBatch(ctx, "w", seqs); err != nil || len(lost) != 0 {
		t.Fatalf("AckBatch: lost %v, %v", lost, err)
	}
}
