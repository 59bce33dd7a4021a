package main

import (
	"context"
	"errors"

	"github.com/impactchat/impactchat/storage"
)

func openPostgres(ctx context.Context, o options) (storage.Store, func(), error) {
	return nil, nil, errors.New("the postgres store is not built yet")
}
