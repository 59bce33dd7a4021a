package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/impactchat/impactchat/storage"
)

// versioned is implemented by keyrings that say which master key wrapped a
// data key (keyring.Ring does).
type versioned interface {
	Current() uint32
	Version(wrapped []byte) (uint32, bool)
}

// Rewrap wraps every data key not yet under the keyring's current master
// key again with it, after a master key rotation, and reports how many it
// changed. Once it returns nil, older master keys can be retired. With a
// keyring that does not report versions, every key is rewrapped. A data
// key that no master key of the keyring unwraps (storage.ErrCorrupt) is
// left as it is and the rest go on: its data was unreadable already, and
// one such key must not keep the others under a master key due to retire.
// Rewrap then returns an error matching storage.ErrCorrupt that counts
// them.
func (s *Store) Rewrap(ctx context.Context) (int, error) {
	if err := s.open(ctx); err != nil {
		return 0, fmt.Errorf("rewrap: %w", err)
	}
	vk, _ := s.keyring.(versioned)
	total, unreadable := 0, 0
	after := []byte{}
	for {
		var (
			n, bad int
			last   []byte
		)
		err := s.write(ctx, func(q db) error {
			n, bad, last = 0, 0, nil
			rows, err := q.query(ctx, "SELECT subject, wrapped FROM dek WHERE subject > ? ORDER BY subject LIMIT ?", after, listPage)
			if err != nil {
				return err
			}
			type key struct{ subject, wrapped []byte }
			var page []key
			for rows.Next() {
				var k key
				if err := rows.Scan(&k.subject, &k.wrapped); err != nil {
					rows.Close()
					return err
				}
				page = append(page, k)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			for _, k := range page {
				last = k.subject
				if vk != nil {
					if v, ok := vk.Version(k.wrapped); ok && v == vk.Current() {
						continue
					}
				}
				dek, err := s.keyring.UnwrapKey(ctx, k.subject, k.wrapped)
				if errors.Is(err, storage.ErrCorrupt) {
					bad++
					continue
				}
				if err != nil {
					return err
				}
				w, err := s.keyring.WrapKey(ctx, k.subject, dek)
				if err != nil {
					return err
				}
				// Only the key as read: an erasure on another replica may
				// have destroyed it since (and a new message made the
				// person a new one), which this must not bring back.
				changed, err := q.exec(ctx, "UPDATE dek SET wrapped = ? WHERE subject = ? AND wrapped = ?", w, k.subject, k.wrapped)
				if err != nil {
					return err
				}
				if changed == 1 {
					n++
				}
			}
			if len(page) < listPage {
				last = nil
			}
			return nil
		})
		if err != nil {
			return total, s.fail("rewrap", err)
		}
		total += n
		unreadable += bad
		if last == nil {
			if unreadable > 0 {
				return total, fmt.Errorf("rewrap: %d data keys unwrap with no master key of the keyring and were left as they are; the data sealed under them cannot be read: %w", unreadable, storage.ErrCorrupt)
			}
			return total, nil
		}
		after = last
	}
}
