package keyring

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/internal/seal"
	"github.com/impactchat/impactchat/storage"
)

func TestWrapUnwrap(t *testing.T) {
	t.Parallel()
	r, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	dek := seal.NewKey()
	w, err := r.WrapKey(ctx, []byte("subject-a"), dek)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w, dek) {
		t.Fatal("data key visible in wrapped form")
	}
	got, err := r.UnwrapKey(ctx, []byte("subject-a"), w)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("unwrap = %x, %v", got, err)
	}
	if _, err := r.UnwrapKey(ctx, []byte("subject-b"), w); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("unwrap for another subject: %v; want ErrCorrupt", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.UnwrapKey(ctx, []byte("subject-a"), w); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("unwrap with another secret: %v; want ErrCorrupt", err)
	}
	if _, err := r.UnwrapKey(ctx, []byte("subject-a"), w[:3]); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("unwrap truncated: %v; want ErrCorrupt", err)
	}
	ik, _ := r.IndexKey(ctx)
	ik2, _ := other.IndexKey(ctx)
	if bytes.Equal(ik, ik2) || len(ik) != 32 {
		t.Fatal("index key does not depend on the secret")
	}
}

func TestNewRejectsShortSecret(t *testing.T) {
	t.Parallel()
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestFromFileCreateAndRotate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "keys")
	if _, err := FromFile(path); err == nil {
		t.Fatal("missing file accepted without Create")
	}
	r1, err := FromFile(path, Create())
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %#o; want 0600", info.Mode().Perm())
	}
	r2, err := FromFile(path, Create())
	if err != nil {
		t.Fatal(err)
	}
	ik1, _ := r1.IndexKey(ctx)
	ik2, _ := r2.IndexKey(ctx)
	if !bytes.Equal(ik1, ik2) {
		t.Fatal("reopening the file gave another index key")
	}
	old, _ := r1.WrapKey(ctx, []byte("s"), seal.NewKey())

	v, err := Rotate(path)
	if err != nil || v != 2 {
		t.Fatalf("Rotate = %d, %v", v, err)
	}
	r3, err := FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Current() != 2 || len(r3.Versions()) != 2 {
		t.Fatalf("after rotation current %d versions %v", r3.Current(), r3.Versions())
	}
	ik3, _ := r3.IndexKey(ctx)
	if !bytes.Equal(ik1, ik3) {
		t.Fatal("rotation changed the index key")
	}
	if _, err := r3.UnwrapKey(ctx, []byte("s"), old); err != nil {
		t.Fatalf("old wrapped key after rotation: %v", err)
	}
	fresh, _ := r3.WrapKey(ctx, []byte("s"), seal.NewKey())
	if v, _ := r3.Version(fresh); v != 2 {
		t.Fatalf("new key wrapped with version %d", v)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("rotated key file mode %#o", info.Mode().Perm())
	}
}

func TestFromFileRefusesOpenPermissions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys")
	if _, err := FromFile(path, Create()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FromFile(path); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("world-readable key file: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	k := base64.StdEncoding.EncodeToString(seal.NewKey())
	cases := map[string]string{
		"no index":      "master 1 " + k,
		"no master":     "index " + k,
		"bad base64":    "index !!!\nmaster 1 " + k,
		"short key":     "index " + k + "\nmaster 1 AAAA",
		"version zero":  "index " + k + "\nmaster 0 " + base64.StdEncoding.EncodeToString(seal.NewKey()),
		"same keys":     "index " + k + "\nmaster 1 " + k,
		"unknown line":  "index " + k + "\nsecret " + k,
		"duplicate ver": "index " + k + "\nmaster 1 " + base64.StdEncoding.EncodeToString(seal.NewKey()) + "\nmaster 1 " + base64.StdEncoding.EncodeToString(seal.NewKey()),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(text)); err == nil {
				t.Fatal("accepted")
			} else if strings.Contains(err.Error(), k) {
				t.Fatal("error shows the key")
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	const name = "IMPACTCHAT_TEST_KEYRING"
	t.Setenv(name, "")
	if _, err := FromEnv(name); err == nil {
		t.Fatal("empty variable accepted")
	}
	t.Setenv(name, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
	a, err := FromEnv(name)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(bytes.Repeat([]byte{1}, 32))
	ia, _ := a.IndexKey(t.Context())
	ib, _ := b.IndexKey(t.Context())
	if !bytes.Equal(ia, ib) {
		t.Fatal("single-secret variable differs from New")
	}
	t.Setenv(name, "index "+base64.StdEncoding.EncodeToString(seal.NewKey())+"\nmaster 3 "+base64.StdEncoding.EncodeToString(seal.NewKey()))
	c, err := FromEnv(name)
	if err != nil || c.Current() != 3 {
		t.Fatalf("file-format variable: %v", err)
	}
}

// A key file whose newest master key has the last version cannot rotate:
// the next version would wrap to 0, which no key file may hold, and the
// file would no longer load.
func TestRotateRefusesPastTheLastVersion(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys")
	text := header + line("index", seal.NewKey()) + line("master 4294967295", seal.NewKey())
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := FromFile(path); err != nil {
		t.Fatal(err)
	}
	if v, err := Rotate(path); err == nil || !strings.Contains(err.Error(), "last version") {
		t.Fatalf("Rotate = %d, %v; want it refused", v, err)
	}
	if _, err := FromFile(path); err != nil {
		t.Fatalf("the key file no longer loads: %v", err)
	}
}
