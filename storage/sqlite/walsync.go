package sqlite

import (
	"errors"
	"fmt"
	"os"
)

// walFlusher flushes the write-ahead log to the disk for the writer's
// durable commits (sqlstore.Config.SyncLog). With synchronous=full, SQLite
// would flush it inside each commit, holding the one writer for as long as
// the disk takes; the writer instead commits as with synchronous=normal and
// the store flushes the log here, off the writer, before it tells anyone a
// durable write succeeded. A flush of the log after a commit makes that
// commit as durable as synchronous=full does: the log is written in order,
// and SQLite itself flushes the log's header whenever it starts the log
// again.
type walFlusher struct {
	path string
	f    *os.File
}

func openWALFlusher(dbPath string) (*walFlusher, error) {
	path := dbPath + "-wal"
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("write-ahead log: %w", err)
	}
	return &walFlusher{path: path, f: f}, nil
}

// flush makes every commit written to the log so far durable.
func (w *walFlusher) flush() error {
	// SQLite removes the log only when the last connection to the
	// database closes, which the store's own connections prevent; should
	// the file at the path be another one all the same, flushing this one
	// would make nothing durable.
	held, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	now, err := os.Stat(w.path)
	if err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	if !os.SameFile(held, now) {
		return errors.New("write-ahead log: the file was replaced while the store was open")
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	return nil
}

func (w *walFlusher) close() error { return w.f.Close() }
