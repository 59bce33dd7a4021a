package broadcast_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/whatsapp"
)

// phone returns the number of the i-th test person.
func phone(i int) string { return fmt.Sprintf("4477009%05d", i) }

func ref(i int) storage.ContactRef {
	return storage.ContactRef{Channel: chat.ChannelWhatsApp, Identifier: phone(i)}
}

// consentOf says what the i-th person agreed to.
type consentOf func(i int) (purposes map[string]storage.PurposeState, ok bool)

// seed adds n contacts and their consent; with profile, each contact gets
// a language ("ar" for every fourth, "en" otherwise) and a city field.
func seed(t testing.TB, ctx context.Context, st storage.Store, n int, at time.Time, profile bool, consent consentOf) {
	t.Helper()
	for i := range n {
		c, err := st.Contacts().Touch(ctx, ref(i), at)
		if err != nil {
			t.Fatal(err)
		}
		if profile {
			c.Language = "en"
			if i%4 == 0 {
				c.Language = "ar-SY"
			}
			c.Fields = map[string]string{"city": "city-" + strconv.Itoa(i%3)}
			if _, err := st.Contacts().Update(ctx, c, at); err != nil {
				t.Fatal(err)
			}
		}
		ps, ok := consent(i)
		if !ok {
			continue
		}
		if err := st.Consent().SaveState(ctx, "", storage.ConsentState{Contact: ref(i), Purposes: ps, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
}

func granted(at time.Time, purposes ...chat.Purpose) map[string]storage.PurposeState {
	m := map[string]storage.PurposeState{}
	for _, p := range purposes {
		m[string(p)] = storage.PurposeState{State: "granted", Since: at}
	}
	return m
}

// withdraw records that the i-th person withdrew every purpose.
func withdraw(ctx context.Context, st storage.Store, i int, at time.Time) error {
	cur, err := st.Consent().State(ctx, ref(i))
	if err != nil {
		return err
	}
	next := cur
	next.Purposes = map[string]storage.PurposeState{}
	for p := range cur.Purposes {
		next.Purposes[p] = storage.PurposeState{State: "withdrawn", Since: at}
	}
	return st.Consent().SaveState(ctx, cur.LastEvent, next)
}

// classify is the WhatsApp classifier a line wires (see examples/broadcast).
func classify(err error) broadcast.Outcome {
	var api *whatsapp.APIError
	code := ""
	var after time.Duration
	if errors.As(err, &api) {
		code = strconv.Itoa(api.Code)
		after = api.RetryAfter
	}
	switch {
	case errors.Is(err, whatsapp.ErrAmbiguous):
		return broadcast.Outcome{Action: broadcast.Unknown, Reason: "ambiguous"}
	case errors.Is(err, whatsapp.ErrPairRateLimited):
		return broadcast.Outcome{Action: broadcast.Retry, Reason: code, After: after}
	case errors.Is(err, whatsapp.ErrRateLimited), errors.Is(err, whatsapp.ErrUnavailable):
		return broadcast.Outcome{Action: broadcast.Retry, Reason: code, After: after, Throttle: true}
	case errors.Is(err, whatsapp.ErrAuth), errors.Is(err, whatsapp.ErrPermission), errors.Is(err, whatsapp.ErrAccount):
		return broadcast.Outcome{Action: broadcast.Fatal, Reason: code}
	case api != nil:
		return broadcast.Outcome{Action: broadcast.Stop, Reason: code}
	case errors.Is(err, chat.ErrInvalid):
		return broadcast.Outcome{Action: broadcast.Stop, Reason: "invalid"}
	}
	return broadcast.DefaultClassifier(err)
}
