package sqlstoretest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
)

// Ref is the person whose data Populate stores.
var Ref = storage.ContactRef{Channel: "whatsapp", Identifier: "4915112345678"}

// wamid makes a WhatsApp message id as Meta does: base64 of a small binary
// record that holds the person's phone number, so that the id alone
// discloses the number to whoever decodes it.
func wamid(phone, suffix string) string {
	b := []byte{0x1c, 0x18, byte(len(phone))}
	b = append(b, phone...)
	b = append(b, 0x15, 0x02, 0x00, 0x12, 0x18, byte(len(suffix)))
	b = append(b, suffix...)
	return "wamid." + base64.StdEncoding.EncodeToString(b)
}

// MessageID is the id of the message Populate records, and RecipientMessageID
// the id of the broadcast message Populate sends to Ref: both encode Ref's
// phone number.
var (
	MessageID          = wamid(Ref.Identifier, "3EB0C767D71D1A7C29A5")
	RecipientMessageID = wamid(Ref.Identifier, "HBEB0C7A1F0D2E9A0B11")
)

// Secrets are the personal values Populate stores; none may appear in the
// clear in the database.
var Secrets = []string{
	Ref.Identifier,
	"Amina Haddad",                             // profile name
	"my asylum interview is on tuesday",        // message body
	"Kreuzberg night shelter",                  // contact field
	"household-of-five-session-state",          // session data
	"inbox payload: I lost my residence card",  // inbox payload
	"staff note: family separated at border",   // ticket note
	"template parameter for a named recipient", // broadcast params
	MessageID,          // a conversation message id
	RecipientMessageID, // a broadcast recipient's message id
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Populate stores Ref's data in every aggregate that holds personal data.
func Populate(t testing.TB, st storage.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	c, err := st.Contacts().Touch(ctx, Ref, t0)
	must(err)
	c.Name = Secrets[1]
	c.Fields = map[string]string{"shelter": Secrets[3]}
	_, err = st.Contacts().Update(ctx, c, t0)
	must(err)
	must(st.Messages().Record(ctx, storage.MessageRecord{ID: MessageID, Contact: Ref, Direction: storage.Inbound, Kind: "text", Body: Secrets[2], At: t0}))
	_, err = st.Sessions().Put(ctx, storage.Session{Contact: Ref, Data: []byte(Secrets[4])}, t0)
	must(err)
	_, err = st.Inbox().Put(ctx, []storage.InboxItem{
		{Key: "wamid.in.1", Partition: storage.PartitionOf(Ref), Payload: []byte(Ref.Identifier + " " + Secrets[5]), At: t0},
		{Key: "wamid.in.2", Partition: storage.PartitionOf(Ref), Payload: []byte("second"), At: t0},
	}, t0)
	must(err)
	_, _, err = st.Tickets().Open(ctx, storage.Ticket{Contact: Ref, Queue: "protection", Priority: 2,
		Notes: []storage.TicketNote{{At: t0, Author: "staff-1", Text: Secrets[6]}}}, t0)
	must(err)
	must(st.Broadcasts().Create(ctx, storage.Broadcast{ID: "b1", Name: "clinic hours", State: "draft", Spec: []byte("spec in the clear")}))
	must(st.Broadcasts().AddRecipients(ctx, "b1", []storage.Recipient{{Seq: 1, Contact: Ref, Params: []byte(Secrets[7])}}))
	must(st.Broadcasts().Transition(ctx, storage.Recipient{Broadcast: "b1", Seq: 1, State: storage.RecipientSent, MessageID: RecipientMessageID, Attempts: 1}, storage.RecipientQueued))
	must(st.Consent().Append(ctx, storage.ConsentEvent{ID: "ev1", Contact: Ref, Type: "granted", Purposes: []string{"core"}, OccurredAt: t0},
		"", storage.ConsentState{LastEvent: "ev1", Purposes: map[string]storage.PurposeState{"core": {State: "granted", Since: t0}}}))
}

// CheckReadable reads everything Populate stored back through the store.
func CheckReadable(t testing.TB, st storage.Store) {
	t.Helper()
	ctx := context.Background()
	c, err := st.Contacts().Get(ctx, Ref)
	if err != nil || c.Name != Secrets[1] || c.Fields["shelter"] != Secrets[3] || c.Ref != Ref {
		t.Fatalf("contact read back as %+v, %v", c.ID, err)
	}
	h, err := st.Messages().History(ctx, Ref, 0)
	if err != nil || len(h) != 1 || h[0].Body != Secrets[2] {
		t.Fatalf("history: %d messages, %v", len(h), err)
	}
	s, err := st.Sessions().Get(ctx, Ref, t0)
	if err != nil || string(s.Data) != Secrets[4] {
		t.Fatalf("session: %v", err)
	}
	if m, err := st.Messages().Get(ctx, MessageID); err != nil || m.ID != MessageID || m.Body != Secrets[2] {
		t.Fatalf("message by id: %v", err)
	}
	if _, err := st.Messages().UpdateStatus(ctx, MessageID, storage.DeliveryDelivered, t0, 0); err != nil {
		t.Fatalf("message status: %v", err)
	}
	if r, err := st.Broadcasts().ByMessage(ctx, RecipientMessageID); err != nil || r.MessageID != RecipientMessageID || r.Contact != Ref {
		t.Fatalf("recipient by message id: %v", err)
	}
	if rs, err := st.Broadcasts().Recipients(ctx, "b1", "", 0, 0); err != nil || len(rs) != 1 || rs[0].MessageID != RecipientMessageID {
		t.Fatalf("recipients: %d, %v", len(rs), err)
	}
}

// Contains reports which secrets occur in data, in the clear.
func Contains(data []byte) []string {
	var found []string
	for _, s := range Secrets {
		if bytes.Contains(data, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}

// CheckErasedRows checks through SQL, after Erase of the only contact
// populated, that no data key and no sealed content is left: rows that
// must go are gone, and rows that stay (tickets, recipients, consent
// tombstones, deduplication keys) hold no sealed column. The queries have
// no parameters, so they run on either database.
func CheckErasedRows(t testing.TB, db *sql.DB) {
	t.Helper()
	checks := map[string]string{
		"data keys":             "SELECT COUNT(*) FROM dek",
		"contacts":              "SELECT COUNT(*) FROM contacts",
		"sessions":              "SELECT COUNT(*) FROM sessions",
		"messages":              "SELECT COUNT(*) FROM messages",
		"inbox payloads":        "SELECT COUNT(*) FROM inbox WHERE body IS NOT NULL OR part IS NOT NULL",
		"ticket contents":       "SELECT COUNT(*) FROM tickets WHERE ref IS NOT NULL OR notes IS NOT NULL OR subject IS NOT NULL",
		"recipient contents":    "SELECT COUNT(*) FROM recipients WHERE ref IS NOT NULL OR params IS NOT NULL OR subject IS NOT NULL OR message_sealed IS NOT NULL",
		"consent event contact": "SELECT COUNT(*) FROM consent_events WHERE ref IS NOT NULL",
		"consent state contact": "SELECT COUNT(*) FROM consent_states WHERE ref IS NOT NULL",
	}
	for what, q := range checks {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("after erasure %d rows of %s remain", n, what)
		}
	}
	var kept int
	if err := db.QueryRow("SELECT COUNT(*) FROM consent_states WHERE erased = 1").Scan(&kept); err != nil || kept != 1 {
		t.Errorf("consent tombstone: %d rows, %v", kept, err)
	}
}

// CheckErasedAPI checks through the store that Ref's content is gone and
// the tombstone stays.
func CheckErasedAPI(t testing.TB, st storage.Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Contacts().Get(ctx, Ref); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("contact after erasure: %v", err)
	}
	if h, err := st.Messages().History(ctx, Ref, 0); err != nil || len(h) != 0 {
		t.Errorf("history after erasure: %d, %v", len(h), err)
	}
	if _, err := st.Sessions().Get(ctx, Ref, t0); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("session after erasure: %v", err)
	}
	if cs, err := st.Inbox().Claim(ctx, "w", 10, time.Minute, t0); err != nil || len(cs) != 0 {
		t.Errorf("claim after erasure: %d items, %v", len(cs), err)
	}
	state, err := st.Consent().State(ctx, Ref)
	if err != nil || !state.Erased || state.Contact != (storage.ContactRef{}) {
		t.Errorf("consent tombstone: %+v, %v", state.Erased, err)
	}
	rs, err := st.Broadcasts().Recipients(ctx, "b1", "", 0, 0)
	if err != nil || len(rs) != 1 || rs[0].Params != nil || rs[0].Contact != (storage.ContactRef{}) {
		t.Errorf("recipient after erasure: %v", err)
	}
}

// ErasedMessageID is the message id of a broadcast recipient erased before
// message ids were sealed: after the migration only its hash remains.
var ErasedMessageID = wamid("4915187654321", "3EB0AAAAAAAAAAAAAAAA")

// PopulateV1 writes, through SQL, rows as schema version 1 kept them (message
// ids in the clear) into db, whose schema is at version 1: a message of Ref,
// a broadcast recipient with a message id, an erased one, and two acked
// inbox items. numbered
// selects $1 placeholders.
func PopulateV1(t testing.TB, db *sql.DB, kr storage.Keyring, numbered bool) {
	t.Helper()
	ctx := context.Background()
	bind := func(q string) string {
		if !numbered {
			return q
		}
		var b strings.Builder
		n := 0
		for _, c := range q {
			if c == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	ik, err := kr.IndexKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subj := seal.Index(ik, "subject", storage.PartitionOf(Ref))
	dek := seal.NewKey()
	wrapped, err := kr.WrapKey(ctx, subj, dek)
	if err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(dek)
	if err != nil {
		t.Fatal(err)
	}
	ref := seal.AAD(Ref.Channel, Ref.Identifier)
	steps := []struct {
		q    string
		args []any
	}{
		{"INSERT INTO dek (subject, wrapped, created_at) VALUES (?, ?, 0)", []any{subj, wrapped}},
		{`INSERT INTO messages (id, subject, ref, direction, kind, body, purpose, staff, status, status_at, error_code, at)
VALUES (?, ?, ?, 'in', 'text', ?, '', '', '', 0, 0, ?)`, []any{MessageID, subj,
			box.Seal(ref, seal.AAD("messages", "ref", MessageID)), box.Seal([]byte(Secrets[2]), seal.AAD("messages", "body", MessageID)), t0.UnixNano()}},
		{"INSERT INTO broadcasts (id, name, state, spec, created_at, updated_at, version) VALUES ('b1', 'clinic hours', 'running', NULL, 0, 0, 1)", nil},
		{`INSERT INTO recipients (broadcast, seq, subject, ref, params, state, message_id, reason, attempts, updated_at)
VALUES ('b1', 1, ?, ?, NULL, 'sent', ?, '', 1, 0)`, []any{subj, box.Seal(ref, seal.AAD("recipients", "ref", "b1/1")), RecipientMessageID}},
		{`INSERT INTO recipients (broadcast, seq, subject, ref, params, state, message_id, reason, attempts, updated_at)
VALUES ('b1', 2, NULL, NULL, NULL, 'sent', ?, '', 1, 0)`, []any{ErasedMessageID}},
		{"INSERT INTO inbox (ord, key_hash, part, body, at, put_at, state) VALUES (1, ?, NULL, NULL, 0, 0, 3)", []any{[]byte("acked key 1")}},
		{"INSERT INTO inbox (ord, key_hash, part, body, at, put_at, state) VALUES (2, ?, NULL, NULL, 0, 0, 3)", []any{[]byte("acked key 2")}},
	}
	for _, st := range steps {
		if _, err := db.ExecContext(ctx, bind(st.q), st.args...); err != nil {
			t.Fatalf("populate v1: %v", err)
		}
	}
}

// CheckV1Converted checks, through the store, the rows of PopulateV1 after
// the migration that sealed message ids, and through db that no id is left
// in the clear.
func CheckV1Converted(t testing.TB, st storage.Store, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	m, err := st.Messages().Get(ctx, MessageID)
	if err != nil || m.ID != MessageID || m.Body != Secrets[2] || m.Contact != Ref {
		t.Fatalf("message after migration: %v", err)
	}
	if moved, err := st.Messages().UpdateStatus(ctx, MessageID, storage.DeliveryRead, t0, 0); err != nil || !moved {
		t.Fatalf("status after migration: %v, %v", moved, err)
	}
	r, err := st.Broadcasts().ByMessage(ctx, RecipientMessageID)
	if err != nil || r.MessageID != RecipientMessageID || r.Contact != Ref || r.Seq != 1 {
		t.Fatalf("recipient after migration: %v", err)
	}
	r, err = st.Broadcasts().ByMessage(ctx, ErasedMessageID)
	if err != nil || r.Seq != 2 || r.MessageID != "" {
		t.Fatalf("erased recipient after migration: seq %d, %v", r.Seq, err)
	}
	if s, err := st.Inbox().Stats(ctx); err != nil || s != (storage.InboxStats{Done: 2}) {
		t.Errorf("inbox stats after migration: %+v, %v; want 2 done", s, err)
	}
	for what, q := range map[string]string{
		"messages without hash or sealed id": "SELECT COUNT(*) FROM messages WHERE id_hash IS NULL OR id_sealed IS NULL",
		"recipients without hash":            "SELECT COUNT(*) FROM recipients WHERE message_hash IS NULL",
	} {
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d, %v", what, n, err)
		}
	}
	for _, q := range []string{"SELECT id FROM messages", "SELECT message_id FROM recipients"} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("%q still runs: the clear column is left", q)
		}
	}
}
