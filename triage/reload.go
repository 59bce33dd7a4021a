package triage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Lexicons holds the lexicon in use and replaces it on Reload without a
// restart. A reload that fails (a typo in a file, a file that will not
// parse) keeps the lexicon in use and reports why, so a bad edit never
// leaves a line without urgent screening.
type Lexicons struct {
	load func() (*Lexicon, error)
	cur  atomic.Pointer[Lexicon]

	mu      sync.Mutex // serialises reloads
	lastErr error
}

// NewLexicons loads a first lexicon with load, which must succeed, and
// returns a holder that calls load again on each Reload:
//
//	lex, err := triage.NewLexicons(func() (*triage.Lexicon, error) {
//		return triage.LoadLexiconDir("/etc/helpline/lexicons")
//	})
func NewLexicons(load func() (*Lexicon, error)) (*Lexicons, error) {
	if load == nil {
		return nil, errors.New("triage: new lexicons: load is nil")
	}
	l, err := load()
	if err != nil {
		return nil, fmt.Errorf("triage: new lexicons: %w", err)
	}
	if l == nil {
		return nil, errors.New("triage: new lexicons: load returned no lexicon")
	}
	h := &Lexicons{load: load}
	h.cur.Store(l)
	return h, nil
}

// Lexicon returns the lexicon in use.
func (h *Lexicons) Lexicon() *Lexicon { return h.cur.Load() }

// Reload loads the lexicon again. On success it replaces the one in use
// (messages being screened finish with the old one) and reports whether the
// content changed. On failure the lexicon in use stays and the error says
// which files and lines are wrong.
func (h *Lexicons) Reload() (changed bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, err := h.load()
	if err == nil && l == nil {
		err = errors.New("load returned no lexicon")
	}
	if err != nil {
		h.lastErr = fmt.Errorf("triage: reload lexicon (keeping version %s): %w", h.cur.Load().Version(), err)
		return false, h.lastErr
	}
	h.lastErr = nil
	if old := h.cur.Load(); old.Version() == l.Version() && l.Version() != "" {
		return false, nil
	}
	h.cur.Store(l)
	return true, nil
}

// Err returns why the last reload failed, or nil if it succeeded.
func (h *Lexicons) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastErr
}

// Watch reloads every interval until ctx ends, so that edited files take
// effect without a restart. report (may be nil) hears each failed reload;
// the lexicon in use stays until a reload succeeds.
func (h *Lexicons) Watch(ctx context.Context, every time.Duration, report func(error)) error {
	if every <= 0 {
		return fmt.Errorf("triage: watch lexicons: interval %v must be positive", every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if _, err := h.Reload(); err != nil && report != nil {
				report(err)
			}
		}
	}
}
