// Package seal encrypts single values at rest with AES-256-GCM and keyed
// hashes them for lookups.
//
// A [Box] holds one 256-bit key (a contact's data key). [Box.Seal] draws a
// fresh random nonce for every value and binds the ciphertext to associated
// data, built with [AAD] from the table, field and record the value belongs
// to, so a sealed value copied to another row or another field no longer
// opens. [Box.Open] fails with [ErrOpen] on a wrong key, a moved value or any
// changed byte: it never returns garbage.
//
// [Index] is the blind index: an HMAC-SHA256 under a key kept apart from the
// sealing keys, so equal identifiers can be found without storing them.
package seal
