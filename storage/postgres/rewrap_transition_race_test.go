package postgres_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
)

// gatedKeyring is postgrestest's keyring whose next UnwrapKey, once
// armed, stops until released: a way to hold a replica between the read of
// a data key and the write that follows it.
type gatedKeyring struct {
	storage.Keyring
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func newGatedKeyring() *gatedKeyring {
	return &gatedKeyring{Keyring: postgrestest.Keyring(), entered: make(chan struct{}), release: make(chan struct{})}
}

func (k *gatedKeyring) arm() {
	k.mu.Lock()
	k.armed = true
	k.mu.Unlock()
}

func (k *gatedKeyring) UnwrapKey(ctx context.Context, subject, wrapped []byte) ([]byte, error) {
	k.mu.Lock()
	hold := k.armed
	k.armed = false
	k.mu.Unlock()
	if hold {
		close(k.entered)
		<-k.release
	}
	return k.Keyring.UnwrapKey(ctx, subject, wrapped)
}

func (k *gatedKeyring) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-k.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the gated replica never unwrapped a key")
	}
}

// A Rewrap running on one replica while another erases a person and the
// person writes again must not put the erased person's old data key back
// over the new one: the erasure would be undone (the shredded key lives
// again) and what was sealed under the new key becomes unreadable.
func TestRewrapRacingAnErasureDoesNotBringTheKeyBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := postgrestest.URL(t)
	a := postgrestest.OpenURL(t, u)
	gate := newGatedKeyring()
	b := postgrestest.OpenURL(t, u, postgres.WithKeyring(gate))
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "4915100000042"}

	if err := a.Messages().Record(ctx, storage.MessageRecord{ID: "wamid.before", Contact: ref, Direction: storage.Inbound,
		Kind: "text", Body: "before the erasure", At: t0}); err != nil {
		t.Fatal(err)
	}

	kr := postgrestest.Keyring()
	dataKey := func() []byte {
		t.Helper()
		var subject, wrapped []byte
		if err := a.DB().QueryRowContext(ctx, "SELECT subject, wrapped FROM dek").Scan(&subject, &wrapped); err != nil {
			t.Fatal(err)
		}
		k, err := kr.UnwrapKey(ctx, subject, wrapped)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	erasedKey := dataKey()

	gate.arm()
	done := make(chan error, 1)
	go func() {
		_, err := b.Rewrap(ctx)
		done <- err
	}()
	gate.waitEntered(t) // b read the old wrapped key and is unwrapping it

	if err := a.Erase(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if err := a.Messages().Record(ctx, storage.MessageRecord{ID: "wamid.after", Contact: ref, Direction: storage.Inbound,
		Kind: "text", Body: "after the erasure", At: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	if err := <-done; err != nil {
		t.Fatalf("Rewrap: %v", err)
	}

	if bytes.Equal(dataKey(), erasedKey) {
		t.Errorf("the data key destroyed by the erasure is back in the dek table after the racing Rewrap")
	}
	m, err := a.Messages().Get(ctx, "wamid.after")
	if err != nil {
		t.Fatalf("message recorded after the erasure is unreadable once the racing Rewrap committed: %v", err)
	}
	if m.Body != "after the erasure" {
		t.Fatalf("body %q", m.Body)
	}
}

// A broadcast recipient moved to sent on one replica while another erases
// the person must stay readable: the erasure blanks the row, and the
// transition must not then write a message id sealed under the destroyed
// key onto it (the row then has sealed data and no key: every listing of
// the campaign fails with ErrCorrupt).
func TestTransitionRacingAnErasureKeepsTheCampaignReadable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := postgrestest.URL(t)
	a := postgrestest.OpenURL(t, u)
	gate := newGatedKeyring()
	b := postgrestest.OpenURL(t, u, postgres.WithKeyring(gate))
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: "4915100000043"}

	bs := a.Broadcasts()
	if err := bs.Create(ctx, storage.Broadcast{ID: "b1", Name: "clinic", State: "running"}); err != nil {
		t.Fatal(err)
	}
	if err := bs.AddRecipients(ctx, "b1", []storage.Recipient{{Seq: 1, Contact: ref, Params: []byte("p")}}); err != nil {
		t.Fatal(err)
	}
	if err := bs.Transition(ctx, storage.Recipient{Broadcast: "b1", Seq: 1, State: storage.RecipientSending, Attempts: 1}, storage.RecipientQueued); err != nil {
		t.Fatal(err)
	}

	gate.arm()
	done := make(chan error, 1)
	go func() {
		done <- b.Broadcasts().Transition(ctx, storage.Recipient{Broadcast: "b1", Seq: 1, State: storage.RecipientSent,
			MessageID: "wamid.sent", Attempts: 1}, storage.RecipientSending)
	}()
	gate.waitEntered(t) // b read the recipient's key and is opening it

	if err := a.Erase(ctx, ref); err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	if err := <-done; err != nil {
		t.Fatalf("Transition: %v; want the id kept as for a recipient erased before", err)
	}

	if _, err := a.Broadcasts().Recipients(ctx, "b1", "", 0, 0); err != nil {
		t.Fatalf("campaign recipients after erase raced a transition: %v", err)
	}
	if _, err := a.Broadcasts().ByMessage(ctx, "wamid.sent"); err != nil {
		t.Fatalf("recipient by message after erase raced a transition: %v", err)
	}
}
