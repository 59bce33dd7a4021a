package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
)

// convertChunk is how many rows the conversions read at a time.
const convertChunk = 500

// ConvertMessageIDs is the Go part of the migration that takes message ids
// out of the clear: it fills messages.id_hash and id_sealed from the id
// column, and recipients.message_hash and message_sealed from message_id
// (which it empties), inside the migration's transaction. The keyring is
// needed for the blind index and the data keys, which SQL has not got.
func ConvertMessageIDs(kr storage.Keyring, d Dialect) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		if kr == nil {
			return fmt.Errorf("convert message ids: no keyring")
		}
		ik, err := kr.IndexKey(ctx)
		if err != nil {
			return fmt.Errorf("convert message ids: index key: %w", err)
		}
		if len(ik) < 16 {
			return fmt.Errorf("convert message ids: index key is %d bytes; want at least 16", len(ik))
		}
		s := &Store{d: d, keyring: kr, indexKey: ik, index: seal.NewIndexer(ik), now: time.Now}
		q := db{s: s, raw: tx}
		if err := convertMessages(ctx, s, q); err != nil {
			return fmt.Errorf("convert message ids: messages: %w", err)
		}
		if err := convertRecipients(ctx, s, q); err != nil {
			return fmt.Errorf("convert message ids: recipients: %w", err)
		}
		return nil
	}
}

func convertMessages(ctx context.Context, s *Store, q db) error {
	type row struct {
		ord           int64
		id            string
		subj, wrapped []byte
	}
	for {
		rows, err := q.query(ctx, "SELECT m.ord, m.id, m.subject, d.wrapped"+messageFrom+"WHERE m.id_hash IS NULL ORDER BY m.ord LIMIT ?", convertChunk)
		if err != nil {
			return err
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.ord, &r.id, &r.subj, &r.wrapped); err != nil {
				rows.Close()
				return err
			}
			got = append(got, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(got) == 0 {
			return nil
		}
		k := s.keys()
		for _, r := range got {
			if r.wrapped == nil {
				// The data key is gone: the row's body and contact
				// cannot be read any more, so it goes rather than
				// keep its id in the clear.
				if _, err := q.exec(ctx, "DELETE FROM messages WHERE ord = ?", r.ord); err != nil {
					return err
				}
				continue
			}
			box, err := k.open(ctx, r.subj, r.wrapped)
			if err != nil {
				return err
			}
			h := s.messageHash(r.id)
			if _, err := q.exec(ctx, "UPDATE messages SET id_hash = ?, id_sealed = ? WHERE ord = ?",
				h, box.Seal([]byte(r.id), aad("messages", "id", subjectHex(h))), r.ord); err != nil {
				return err
			}
		}
	}
}

func convertRecipients(ctx context.Context, s *Store, q db) error {
	type row struct {
		broadcast     string
		seq           int64
		id            string
		subj, wrapped []byte
	}
	for {
		rows, err := q.query(ctx, "SELECT r.broadcast, r.seq, r.message_id, r.subject, d.wrapped"+recipientFrom+
			"WHERE r.message_id <> '' ORDER BY r.broadcast, r.seq LIMIT ?", convertChunk)
		if err != nil {
			return err
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.broadcast, &r.seq, &r.id, &r.subj, &r.wrapped); err != nil {
				rows.Close()
				return err
			}
			got = append(got, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(got) == 0 {
			return nil
		}
		k := s.keys()
		for _, r := range got {
			// An erased recipient keeps the hash alone.
			var box *seal.Box
			if r.subj != nil && r.wrapped != nil {
				if box, err = k.open(ctx, r.subj, r.wrapped); err != nil {
					return err
				}
			}
			h, sealed := broadcasts{s}.sealMessageID(box, r.id, recipientRecord(r.broadcast, r.seq))
			if _, err := q.exec(ctx, "UPDATE recipients SET message_hash = ?, message_sealed = ?, message_id = '' WHERE broadcast = ? AND seq = ?",
				h, sealed, r.broadcast, r.seq); err != nil {
				return err
			}
		}
	}
}
