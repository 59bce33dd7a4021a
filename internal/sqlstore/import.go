package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// importChunk is how many contacts one transaction of ImportContacts
// writes.
const importChunk = 2000

// ImportContacts creates the contacts of refs that do not exist yet, as
// Touch would with at as their first inbound time, many to a transaction:
// for moving a line's contacts from another platform. It reports how many
// were new.
func (s *Store) ImportContacts(ctx context.Context, refs []storage.ContactRef, at time.Time) (int, error) {
	for i, r := range refs {
		if err := r.Validate(); err != nil {
			return 0, fmt.Errorf("contacts import: refs[%d]: %w", i, err)
		}
	}
	if err := s.open(ctx); err != nil {
		return 0, fmt.Errorf("contacts import: %w", err)
	}
	total := 0
	for start := 0; start < len(refs); start += importChunk {
		chunk := refs[start:min(start+importChunk, len(refs))]
		subjects := make([][]byte, len(chunk))
		for i, r := range chunk {
			subjects[i] = s.subject(r)
		}
		n := 0
		err := s.write(ctx, func(q db) error {
			n = 0
			k := s.keys()
			if err := k.load(ctx, q, subjects); err != nil {
				return err
			}
			for i, r := range chunk {
				box, err := k.forWrite(ctx, q, subjects[i])
				if err != nil {
					return err
				}
				id := s.newID()
				c, err := q.exec(ctx, `INSERT INTO contacts (id, subject, ref, language, last_inbound_at, created_at, updated_at, version)
VALUES (?, ?, ?, '', ?, ?, ?, 1) ON CONFLICT (subject) DO NOTHING`,
					id, subjects[i], sealRef(box, r, "contacts", id), ts(at), ts(at), ts(at))
				if err != nil {
					return err
				}
				n += int(c)
			}
			return nil
		})
		if err != nil {
			return total, s.fail("contacts import", err)
		}
		total += n
	}
	return total, nil
}
