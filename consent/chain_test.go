package consent_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/impactchat/impactchat/consent"
	"github.com/impactchat/impactchat/storage"
)

// tamperStore shows a consent ledger edited behind the service's back.
type tamperStore struct {
	storage.Store
	edit func([]storage.ConsentEvent) []storage.ConsentEvent
}

type tamperLog struct {
	storage.ConsentLog
	edit func([]storage.ConsentEvent) []storage.ConsentEvent
}

func (s tamperStore) Consent() storage.ConsentLog {
	return tamperLog{ConsentLog: s.Store.Consent(), edit: s.edit}
}

func (l tamperLog) History(ctx context.Context, ref storage.ContactRef) ([]storage.ConsentEvent, error) {
	h, err := l.ConsentLog.History(ctx, ref)
	return l.edit(h), err
}

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	who := addr("15550001212")
	e.agree(who)
	if err := e.text(who, "STOP"); err != nil {
		t.Fatal(err)
	}
	ref := refOf(who)
	if err := e.svc.Verify(t.Context(), ref); err != nil {
		t.Fatalf("untouched ledger: %v", err)
	}
	tests := []struct {
		name string
		edit func([]storage.ConsentEvent) []storage.ConsentEvent
	}{
		{"a withdrawal turned into a grant", func(h []storage.ConsentEvent) []storage.ConsentEvent {
			h[2].Type = string(consent.EventGranted)
			return h
		}},
		{"the notice hash replaced", func(h []storage.ConsentEvent) []storage.ConsentEvent {
			h[1].Hash = "00"
			return h
		}},
		{"an event removed", func(h []storage.ConsentEvent) []storage.ConsentEvent {
			return slices.Delete(h, 1, 2)
		}},
		{"the last event removed", func(h []storage.ConsentEvent) []storage.ConsentEvent {
			return h[:len(h)-1]
		}},
		{"events swapped", func(h []storage.ConsentEvent) []storage.ConsentEvent {
			h[1], h[2] = h[2], h[1]
			return h
		}},
	}
	for _, tt := range tests {
		svc, err := consent.New(tamperStore{Store: e.store, edit: tt.edit}, e.notices)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Verify(t.Context(), ref); !errors.Is(err, consent.ErrTampered) {
			t.Errorf("%s: Verify = %v", tt.name, err)
		}
	}
}
