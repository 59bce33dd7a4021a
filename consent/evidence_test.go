package consent_test

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/consent"
)

// wamidOf makes a WhatsApp message id as Meta does (and as
// internal/sqlstore/sqlstoretest does): base64 of a record holding the
// phone number, so that such an id is as personal as the number.
func wamidOf(phone, suffix string) string {
	b := []byte{0x1c, 0x18, byte(len(phone))}
	b = append(b, phone...)
	b = append(b, 0x15, 0x02, 0x00, 0x12, 0x18, byte(len(suffix)))
	b = append(b, suffix...)
	return "wamid." + base64.StdEncoding.EncodeToString(b)
}

// After DELETE, the consent tombstone left in SQLite holds "no content, no
// name, no raw number": the events' evidence is a fingerprint of each
// message id, not the id, which decodes to the person's phone number.
func TestTombstoneKeepsNoMessageIDs(t *testing.T) {
	e, db, path := newSQLiteEnv(t)
	phone := "4915123456789"
	who := addr(phone)
	if err := e.deliver(&chat.Message{ID: wamidOf(phone, "3EB0A1"), From: who, Kind: chat.KindText, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if err := e.deliver(&chat.Message{ID: wamidOf(phone, "3EB0A2"), From: who, Kind: chat.KindChoice, Choice: consent.ChoiceAccept}); err != nil {
		t.Fatal(err)
	}
	if err := e.deliver(&chat.Message{ID: wamidOf(phone, "3EB0A3"), From: who, Kind: chat.KindText, Text: "DELETE"}); err != nil {
		t.Fatal(err)
	}
	st, found, err := e.svc.State(t.Context(), refOf(who))
	if err != nil || !found || !st.Erased {
		t.Fatalf("not erased: %+v %v", st, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query("SELECT doc FROM consent_events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	re := regexp.MustCompile(`wamid\.[A-Za-z0-9+/=]+`)
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			t.Fatal(err)
		}
		for _, id := range re.FindAllString(doc, -1) {
			b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(id, "wamid."))
			if err == nil && bytes.Contains(b, []byte(phone)) {
				t.Errorf("tombstone event in the clear holds %s, which decodes to the erased person's number", id)
			}
		}
	}
}
