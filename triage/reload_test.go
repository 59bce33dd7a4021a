package triage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/impactchat/impactchat/triage"
)

const goodLexicon = `format: 1
language: en
category: violence
status: reviewed
entries:
  - hits me
`

func TestReloadKeepsTheOldLexiconWhenTheNewOneIsBad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "violence.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(goodLexicon)
	lex, err := triage.NewLexicons(func() (*triage.Lexicon, error) { return triage.LoadLexiconDir(dir) })
	if err != nil {
		t.Fatal(err)
	}
	first := lex.Lexicon()
	if changed, err := lex.Reload(); changed || err != nil {
		t.Fatalf("reload of unchanged files: changed %v, err %v", changed, err)
	}

	// A staff member adds an entry with a typo in the mode.
	write(goodLexicon + "  - text: beat me\n    mode: frase\n")
	changed, err := lex.Reload()
	if changed || err == nil || !errors.Is(err, triage.ErrLexicon) {
		t.Fatalf("bad reload: changed %v, err %v", changed, err)
	}
	if !strings.Contains(err.Error(), "violence.yaml:8") || !strings.Contains(err.Error(), "keeping version "+first.Version()) {
		t.Errorf("the error should say where and that the old lexicon stays: %v", err)
	}
	if lex.Lexicon() != first || lex.Err() == nil {
		t.Fatal("a bad reload replaced the lexicon in use")
	}
	if len(lex.Lexicon().Match("he hits me", nil)) != 1 {
		t.Error("the old lexicon no longer matches")
	}

	// The fix takes effect without a restart.
	write(goodLexicon + "  - text: beat me\n    mode: phrase\n")
	if changed, err := lex.Reload(); !changed || err != nil {
		t.Fatalf("good reload: changed %v, err %v", changed, err)
	}
	if lex.Err() != nil || len(lex.Lexicon().Match("they beat me", nil)) != 1 {
		t.Error("the new entry is not in use")
	}
}

func TestWatchReloadsOnATimer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var loads atomic.Int32
		lex, err := triage.NewLexicons(func() (*triage.Lexicon, error) {
			if loads.Add(1) == 3 {
				return nil, errors.New("disk on fire")
			}
			return triage.LoadLexiconBytes("v.yaml", []byte(goodLexicon))
		})
		if err != nil {
			t.Fatal(err)
		}
		var reports atomic.Int32
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			done <- lex.Watch(ctx, time.Minute, func(error) { reports.Add(1) })
		}()
		time.Sleep(3*time.Minute + time.Second)
		synctest.Wait()
		if got := loads.Load(); got != 4 {
			t.Errorf("loaded %d times in 3 minutes, want 4", got)
		}
		if reports.Load() != 1 || lex.Lexicon() == nil {
			t.Errorf("reports %d; lexicon %v", reports.Load(), lex.Lexicon())
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v", err)
		}
	})
}
