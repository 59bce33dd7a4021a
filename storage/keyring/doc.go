// Package keyring provides [storage.Keyring] implementations backed by a key
// file, an environment variable, or bytes given in code.
//
// A keyring holds two kinds of secrets: the blind-index key, which turns an
// identifier into the keyed hash the stores look contacts up by, and one or
// more versioned master keys, which wrap each contact's data key. The newest
// master key wraps; every version still listed unwraps, so a master key can
// be rotated with [Rotate] without losing data. The index key never changes:
// changing it would make every stored contact unfindable.
//
// The key file is text, one secret a line:
//
//	index <base64 of 32 bytes>
//	master 1 <base64 of 32 bytes>
//	master 2 <base64 of 32 bytes>
//
// [FromFile] with [Create] writes a new random file with mode 0600 when none
// exists, and refuses a file that others may read. [FromEnv] reads the same
// text, or a single base64 key from which [New] derives both secrets. Losing
// the keyring loses every sealed value: back it up apart from the database.
package keyring
