package storagetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// Run runs the conformance suite. open must return a fresh, empty store for
// each subtest and arrange for it to be closed (t.Cleanup); the suite may
// close it earlier, so Close must tolerate being called twice. The suite
// does not call t.Parallel: open decides whether stores can be used side by
// side.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Inbox", inboxTests},
		{"Contacts", contactTests},
		{"Consent", consentTests},
		{"Sessions", sessionTests},
		{"Messages", messageTests},
		{"Tickets", ticketTests},
		{"Broadcasts", broadcastTests},
		{"Audit", auditTests},
		{"Staff", staffTests},
		{"Store", storeTests},
		{"Concurrency", concurrencyTests},
		{"Property", propertyTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					st := open(t)
					if st == nil {
						t.Fatal("open returned a nil store")
					}
					tc.fn(t, st)
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, st storage.Store)
}

// t0 is the suite's "now": whole seconds, UTC.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// ref is the i-th test contact.
func ref(i int) storage.ContactRef {
	return storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("1555%07d", i)}
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// value holds a call's results until the test checks the error:
// of(cs.Get(ctx, r)).must(t).
type value[T any] struct {
	v   T
	err error
}

func of[T any](v T, err error) value[T] { return value[T]{v, err} }

func (r value[T]) must(t testing.TB) T {
	t.Helper()
	ok(t, r.err)
	return r.v
}

type value2[A, B any] struct {
	a   A
	b   B
	err error
}

func of2[A, B any](a A, b B, err error) value2[A, B] { return value2[A, B]{a, b, err} }

func (r value2[A, B]) must(t testing.TB) (A, B) {
	t.Helper()
	ok(t, r.err)
	return r.a, r.b
}

// is fails unless err matches target.
func is(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v; want one matching %q", err, target)
	}
}

// invalid fails unless err is a *storage.FieldError naming a field, matching
// storage.ErrInvalid.
func invalid(t testing.TB, err error) {
	t.Helper()
	is(t, err, storage.ErrInvalid)
	var fe *storage.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v; want a *storage.FieldError", err)
	}
	if fe.Field == "" {
		t.Fatalf("FieldError %v names no field", fe)
	}
}

func eq[T comparable](t testing.TB, got, want T, what string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v; want %v", what, got, want)
	}
}

func sameTime(t testing.TB, got, want time.Time, what string) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %v; want %v", what, got, want)
	}
}

func sameBytes(t testing.TB, got, want []byte, what string) {
	t.Helper()
	if string(got) != string(want) {
		t.Fatalf("%s = %q; want %q", what, got, want)
	}
}

func sameMap[K, V comparable](t testing.TB, got, want map[K]V, what string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Fatalf("%s = %v; want %v", what, got, want)
	}
}

func sameSlice[T comparable](t testing.TB, got, want []T, what string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v; want %v", what, got, want)
	}
}

// collect drains an iterator, failing on an error.
func collect[T any](t testing.TB, seq storage.Seq[T]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		ok(t, err)
		out = append(out, v)
	}
	return out
}
