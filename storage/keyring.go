package storage

import "context"

// Keyring holds the master keys that protect personal data at rest.
//
// Sealing backends give each contact a random data key, store it only
// wrapped (encrypted) by the keyring, and destroy it on erasure. The keyring
// also gives the key of the blind index: the keyed hash that finds a contact
// by identifier without storing the identifier. That key is separate from
// every sealing key and must stay the same across master key rotation.
// Implementations live in storage/keyring; a KMS or vault can stand behind
// the same three methods.
type Keyring interface {
	// WrapKey encrypts a data key for subject (the contact's blind index)
	// under the current master key. The result says which master key was
	// used, so UnwrapKey keeps working after rotation.
	WrapKey(ctx context.Context, subject, key []byte) ([]byte, error)
	// UnwrapKey decrypts a data key made by WrapKey for the same subject. A
	// wrapped key that does not open gives an error matching ErrCorrupt.
	UnwrapKey(ctx context.Context, subject, wrapped []byte) ([]byte, error)
	// IndexKey returns the 32-byte key of the blind index.
	IndexKey(ctx context.Context) ([]byte, error)
}
