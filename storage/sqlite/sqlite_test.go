package sqlite_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/sqlite"
	"github.com/impactchat/impactchat/storage/storagetest"
)

func testKeyring(t testing.TB) *keyring.Ring {
	t.Helper()
	k, err := keyring.New(bytes.Repeat([]byte{42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// openTemp opens a fresh store in a temporary directory, closed at cleanup.
func openTemp(t testing.TB, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "line.db")
	st, err := sqlite.Open(t.Context(), path, append([]sqlite.Option{sqlite.WithKeyring(testKeyring(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Store {
		t.Parallel()
		return openTemp(t, sqlite.WithSynchronous("normal"))
	})
}
