package sqlstoretest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// Ref is the person whose data Populate stores.
var Ref = storage.ContactRef{Channel: "whatsapp", Identifier: "4915112345678"}

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
	must(st.Messages().Record(ctx, storage.MessageRecord{ID: "wamid.1", Contact: Ref, Direction: storage.Inbound, Kind: "text", Body: Secrets[2], At: t0}))
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
		"recipient contents":    "SELECT COUNT(*) FROM recipients WHERE ref IS NOT NULL OR params IS NOT NULL OR subject IS NOT NULL",
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
