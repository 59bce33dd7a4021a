package memory_test

import (
	"testing"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/storage/storagetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Store {
		st := memory.New()
		t.Cleanup(func() { st.Close() })
		return st
	})
}
