package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	b, err := New(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	aad := AAD("messages", "body", "m1")
	sealed := b.Seal([]byte("hello"), aad)
	if len(sealed) != len("hello")+Overhead {
		t.Fatalf("sealed length %d", len(sealed))
	}
	if bytes.Contains(sealed, []byte("hello")) {
		t.Fatal("plaintext visible in sealed value")
	}
	got, err := b.Open(sealed, aad)
	if err != nil || string(got) != "hello" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if again := b.Seal([]byte("hello"), aad); bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	empty, err := b.Open(b.Seal(nil, aad), aad)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("empty round trip = %v, %v", empty, err)
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	b, _ := New(NewKey())
	other, _ := New(NewKey())
	aad := AAD("contacts", "name", "c1")
	sealed := b.Seal([]byte("Amina"), aad)
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	cases := map[string]struct {
		box    *Box
		sealed []byte
		aad    []byte
	}{
		"wrong key":    {other, sealed, aad},
		"other row":    {b, sealed, AAD("contacts", "name", "c2")},
		"other field":  {b, sealed, AAD("contacts", "fields", "c1")},
		"flipped byte": {b, flipped, aad},
		"truncated":    {b, sealed[:Overhead-1], aad},
		"empty":        {b, nil, aad},
		"bad format":   {b, append([]byte{9}, sealed[1:]...), aad},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := c.box.Open(c.sealed, c.aad)
			if !errors.Is(err, ErrOpen) || got != nil {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

func TestNewKeySize(t *testing.T) {
	t.Parallel()
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func TestAADAndIndex(t *testing.T) {
	t.Parallel()
	if bytes.Equal(AAD("ab", "c"), AAD("a", "bc")) {
		t.Fatal("AAD parts are ambiguous")
	}
	k1, k2 := NewKey(), NewKey()
	a := Index(k1, "contact", "whatsapp:+15551234567")
	if !bytes.Equal(a, Index(k1, "contact", "whatsapp:+15551234567")) {
		t.Fatal("index not stable")
	}
	if bytes.Equal(a, Index(k2, "contact", "whatsapp:+15551234567")) {
		t.Fatal("index ignores its key")
	}
	if len(a) != 32 {
		t.Fatalf("index is %d bytes", len(a))
	}
}

func BenchmarkSeal(b *testing.B) {
	box, _ := New(NewKey())
	aad := AAD("messages", "body", "m1")
	msg := bytes.Repeat([]byte("x"), 200)
	for b.Loop() {
		box.Open(box.Seal(msg, aad), aad)
	}
}

func TestIndexerMatchesIndex(t *testing.T) {
	key := []byte("an index key of at least 16 bytes")
	ix := NewIndexer(key)
	for _, parts := range [][]string{
		{"subject", "whatsapp\x0016505551234"},
		{"message id", "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4QUZCNTc1RkM3NEE2OEY2MEIA"},
		{""},
		{strings.Repeat("long ", 100), "x"},
	} {
		if got, want := ix.Index(parts...), Index(key, parts...); !bytes.Equal(got, want) {
			t.Fatalf("Indexer.Index(%q) = %x, want %x", parts, got, want)
		}
	}
	key[0] ^= 0xff // the Indexer copied the key
	if got, want := ix.Index("a"), Index([]byte("an index key of at least 16 bytes"), "a"); !bytes.Equal(got, want) {
		t.Fatal("the Indexer follows changes to the caller's key buffer")
	}
}
