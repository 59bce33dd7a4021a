package consent

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// stateMemoFor bounds how long the guard trusts the state the gate read
// for the message being handled.
const stateMemoFor = 2 * time.Second

// stateMemo is the consent state read for the message being handled (by
// RecordGranted or the gate), so that the gate and the guard do not read it
// again, the guard for each reply. Every
// change this Service makes with the same context (an event appended, an
// erasure) forgets it, and it is trusted for stateMemoFor at most: a change
// made elsewhere meanwhile (a staff member recording a withdrawal) reaches
// the guard within that time, as a change made during a send always could.
type stateMemo struct {
	ref   storage.ContactRef
	st    storage.ConsentState
	found bool
	at    time.Time
	valid atomic.Bool
}

type stateMemoKey struct{}

func withStateMemo(ctx context.Context, ref storage.ContactRef, st storage.ConsentState, found bool, at time.Time) context.Context {
	m := &stateMemo{ref: ref, st: st, found: found, at: at}
	m.valid.Store(true)
	return context.WithValue(ctx, stateMemoKey{}, m)
}

// forgetState makes the guard read the state again.
func forgetState(ctx context.Context) {
	if m, ok := ctx.Value(stateMemoKey{}).(*stateMemo); ok {
		m.valid.Store(false)
	}
}

// memoState is State for the guard and the gate: from the read made
// earlier for this message (by RecordGranted, or the gate for the guard)
// when it still holds.
func (s *Service) memoState(ctx context.Context, ref storage.ContactRef) (storage.ConsentState, bool, error) {
	if m, ok := ctx.Value(stateMemoKey{}).(*stateMemo); ok && m.ref == ref && m.valid.Load() {
		if age := s.now().Sub(m.at); age >= 0 && age < stateMemoFor {
			return m.st, m.found, nil
		}
	}
	return s.State(ctx, ref)
}
