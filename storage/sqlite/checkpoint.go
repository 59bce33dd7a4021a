package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

const (
	// checkpointEvery is how often the checkpointer copies the write-ahead
	// log into the database file.
	checkpointEvery = 100 * time.Millisecond
	// walBackstop is the log size, in pages, at which the writer itself
	// checkpoints: only when the checkpointer falls far behind (readers
	// holding old snapshots for long, or a stalled disk).
	walBackstop = 10000
)

// checkpointer runs passive checkpoints on a connection of its own. A
// passive checkpoint copies what no reader still needs and never blocks the
// writer or the readers; once the whole log is copied, the writer starts it
// again from the beginning, so it stays small. Without it the writer would
// checkpoint every thousand pages in the middle of someone's commit.
type checkpointer struct {
	db     *sql.DB
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startCheckpointer(ctx context.Context, dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("checkpointer: %w", err)
	}
	run, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, cancel: cancel, done: make(chan struct{})}
	go c.loop(run)
	return c, nil
}

func (c *checkpointer) loop(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A failure (the database busy with a writer's own backstop
		// checkpoint, a full disk) is tried again on the next tick; the
		// writer's backstop bounds the log meanwhile.
		_, _ = c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// stop ends the loop and closes the connection; it runs once, when the
// store closes.
func (c *checkpointer) stop() error {
	var err error
	c.once.Do(func() {
		c.cancel()
		<-c.done
		err = c.db.Close()
	})
	return err
}

// writerCacheKiB is the writer's page cache. SQLite's default (2 MiB)
// makes a busy writer read the pages of the inbox's and the log's indexes
// back from the file again and again.
const writerCacheKiB = 32 << 10
