package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/sqlite"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "helpline")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The keyring is made on first use (mode 0600) and must be kept, and
	// backed up, apart from the database: without it nothing can be read.
	keys, err := keyring.FromFile(filepath.Join(dir, "keys"), keyring.Create())
	if err != nil {
		log.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "line.db"), sqlite.WithKeyring(keys))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	person := storage.ContactRef{Channel: "whatsapp", Identifier: "4915112345678"}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c, err := st.Contacts().Touch(ctx, person, now)
	if err != nil {
		log.Fatal(err)
	}
	c.Name = "Amina"
	if _, err := st.Contacts().Update(ctx, c, now); err != nil {
		log.Fatal(err)
	}
	got, err := st.Contacts().Get(ctx, person)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Name, got.Ref)

	// Erasure destroys the person's data key and their content.
	if err := st.Erase(ctx, person); err != nil {
		log.Fatal(err)
	}
	_, err = st.Contacts().Get(ctx, person)
	fmt.Println(errors.Is(err, storage.ErrNotFound))
	// Output:
	// Amina whatsapp:***78
	// true
}
