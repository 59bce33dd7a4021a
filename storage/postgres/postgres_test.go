package postgres_test

import (
	"testing"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/postgres/postgrestest"
	"github.com/impactchat/impactchat/storage/storagetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	postgrestest.Base(t)
	storagetest.Run(t, func(t *testing.T) storage.Store {
		t.Parallel()
		return postgrestest.Open(t)
	})
}
