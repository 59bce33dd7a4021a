package sqlstore

import (
	"context"
	"fmt"
)

// versioned is implemented by keyrings that say which master key wrapped a
// data key (keyring.Ring does).
type versioned interface {
	Current() uint32
	Version(wrapped []byte) (uint32, bool)
}

// Rewrap wraps every data key not yet under the keyring's current master
// key again with it, after a master key rotation, and reports how many it
// changed. Once it returns, older master keys can be retired. With a
// keyring that does not report versions, every key is rewrapped.
func (s *Store) Rewrap(ctx context.Context) (int, error) {
	if err := s.open(ctx); err != nil {
		return 0, fmt.Errorf("rewrap: %w", err)
	}
	vk, _ := s.keyring.(versioned)
	total := 0
	after := []byte{}
	for {
		var (
			n    int
			last []byte
		)
		err := s.write(ctx, func(q db) error {
			n, last = 0, nil
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
		if last == nil {
			return total, nil
		}
		after = last
	}
}
