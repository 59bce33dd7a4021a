package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/impactchat/impactchat/internal/loadgen"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres"
)

// openPostgres opens a store in a new schema of the database at
// o.postgresURL, and drops the schema when closed, so runs never see each
// other's data. The database must be on this machine.
func openPostgres(ctx context.Context, o options) (storage.Store, func(), error) {
	if o.postgresURL == "" {
		return nil, nil, errors.New("no database: give -postgres or set IMPACTCHAT_TEST_POSTGRES")
	}
	u, err := url.Parse(o.postgresURL)
	if err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, nil, errors.New("-postgres must be a postgres:// URL")
	}
	if err := loadgen.CheckLoopback(o.postgresURL); err != nil {
		return nil, nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "loadgen_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", o.postgresURL) // the driver storage/postgres registers
	if err != nil {
		return nil, nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		return nil, nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		_, _ = admin.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	ring, err := newRing()
	if err != nil {
		drop()
		return nil, nil, err
	}
	st, err := postgres.Open(ctx, u.String(), postgres.WithKeyring(ring), postgres.WithMaxConns(o.pgConns))
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() { _ = st.Close(); drop() }, nil
}
