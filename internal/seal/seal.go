package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// KeySize is the size of every key this package takes: 256 bits.
const KeySize = 32

// format is the first byte of every sealed value, so the layout can change
// later without guessing.
const format byte = 1

// Overhead is how many bytes Seal adds to a plaintext: the format byte, the
// 96-bit nonce and the 128-bit tag.
const Overhead = 1 + 12 + 16

// ErrOpen is returned when a sealed value cannot be opened: the key is
// wrong, the associated data differs, or the bytes were changed or cut.
var ErrOpen = errors.New("seal: value cannot be opened")

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key is %d bytes; AES-256 needs %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Box{aead: aead}, nil
}

// NewKey returns a fresh random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k) // crypto/rand.Read never fails; it crashes the program instead.
	return k
}

// Seal encrypts plaintext bound to aad. The result is Overhead bytes longer
// than plaintext. A nil plaintext seals like an empty one.
func (b *Box) Seal(plaintext, aad []byte) []byte {
	out := make([]byte, 1, Overhead+len(plaintext))
	out[0] = format
	return b.aead.Seal(out, nil, plaintext, aad)
}

// Open decrypts a value made by Seal with the same key and aad. Any other
// value gives ErrOpen.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < Overhead || sealed[0] != format {
		return nil, ErrOpen
	}
	pt, err := b.aead.Open(nil, nil, sealed[1:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// AAD joins the parts that name where a value lives (table, field, record
// id...) into associated data. Each part is length-prefixed, so ("ab", "c")
// and ("a", "bc") differ.
func AAD(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	return appendAAD(make([]byte, 0, n), parts)
}

func appendAAD(out []byte, parts []string) []byte {
	for _, p := range parts {
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	return out
}

// Index returns HMAC-SHA256(key, AAD(parts...)): a stable, non-reversible
// handle for looking values up. The key must not be a sealing key.
func Index(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(AAD(parts...))
	return m.Sum(nil)
}

// Indexer computes Index under one key, reusing keyed hashes: a store
// computes several indexes for every operation, and setting up HMAC's keyed
// state each time costs as much as the hash itself.
type Indexer struct {
	pool sync.Pool
}

// NewIndexer returns an Indexer for key (copied).
func NewIndexer(key []byte) *Indexer {
	key = bytes.Clone(key)
	ix := &Indexer{}
	ix.pool.New = func() any { return hmac.New(sha256.New, key) }
	return ix
}

// Index returns Index(key, parts...).
func (ix *Indexer) Index(parts ...string) []byte {
	m := ix.pool.Get().(hash.Hash)
	m.Reset()
	var buf [128]byte
	m.Write(appendAAD(buf[:0], parts))
	out := m.Sum(nil)
	ix.pool.Put(m)
	return out
}
