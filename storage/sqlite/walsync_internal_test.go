package sqlite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A log that is no longer the file at its path is never flushed as if it
// were: the flush fails.
func TestWALFlusherRefusesAReplacedLog(t *testing.T) {
	db := filepath.Join(t.TempDir(), "line.db")
	if err := os.WriteFile(db+"-wal", []byte("log"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := openWALFlusher(db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if err := w.flush(); err != nil {
		t.Fatalf("flush of the log it opened: %v", err)
	}
	if err := os.Rename(db+"-wal", db+"-old"); err != nil {
		t.Fatal(err)
	}
	if err := w.flush(); err == nil {
		t.Error("flush succeeded with the log gone from its path")
	}
	if err := os.WriteFile(db+"-wal", []byte("another log"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.flush(); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("flush with another file at the log's path: %v; want an error saying it was replaced", err)
	}
}

func TestWALFlusherNeedsTheLog(t *testing.T) {
	if _, err := openWALFlusher(filepath.Join(t.TempDir(), "line.db")); err == nil {
		t.Error("a flusher opened without a log file")
	}
}
