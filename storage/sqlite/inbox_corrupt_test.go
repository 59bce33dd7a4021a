package sqlite_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// An inbox row whose sealed body cannot be opened (a flipped byte on disk)
// is dead-lettered at the claim that finds it, and the items claimed with
// it are handed out: before, it failed every claim, held the good items it
// was leased with, and was the oldest head again once the lease passed, so
// another person's message was never handled.
func TestCorruptInboxRowIsSetAside(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openTemp(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	if _, err := st.Inbox().Put(ctx, []storage.InboxItem{
		{Key: "wamid.bad", Partition: "whatsapp:447700900001", Payload: []byte("first person"), At: now},
		{Key: "wamid.good", Partition: "whatsapp:447700900002", Payload: []byte("second person"), At: now},
	}, now); err != nil {
		t.Fatal(err)
	}
	db := raw(t, st.Path())
	var seq int64
	var body []byte
	if err := db.QueryRow("SELECT seq, body FROM inbox ORDER BY ord LIMIT 1").Scan(&seq, &body); err != nil {
		t.Fatal(err)
	}
	body[len(body)/2] ^= 0x10
	if _, err := db.Exec("UPDATE inbox SET body = ? WHERE seq = ?", body, seq); err != nil {
		t.Fatal(err)
	}
	got, err := st.Inbox().Claim(ctx, "worker", 10, time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != "wamid.good" {
		t.Fatalf("claimed %+v; want the second person's message alone", got)
	}
	stats, err := st.Inbox().Stats(ctx)
	if err != nil || stats.Dead != 1 || stats.Leased != 1 {
		t.Fatalf("stats %+v, %v; want the corrupt row dead and the good one leased", stats, err)
	}
}
