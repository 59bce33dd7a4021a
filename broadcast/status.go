package broadcast

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

// Progress is where a campaign stands. Counts are of recipients.
type Progress struct {
	ID    string
	State State
	Halt  string // why the runner paused the campaign itself, if it did

	Total     int
	Queued    int // not sent yet (waiting, or waiting for a retry)
	Sending   int // request in flight (or a crash left them: they become Unknown)
	Sent      int // accepted by the channel, no delivery status yet
	Delivered int
	Read      int
	Failed    int
	Skipped   int // not sent: consent withdrawn, outside the window, erased
	Unknown   int // maybe sent, never repeated: the process died mid-request ("interrupted"), or the send's outcome could not be recorded ("unrecorded")

	// Failures and Skips count Failed and Skipped recipients by reason
	// (an error code such as "131026", or a rule such as "withdrawn").
	Failures map[string]int
	Skips    map[string]int
	// Unknowns counts Unknown recipients by reason.
	Unknowns map[string]int

	// Waiting is set while this Runner holds the campaign back (a throttled
	// line, the daily messaging limit): sends resume then.
	Waiting time.Time
	// DailyUsed is how many people outside their window this Runner counts
	// against the daily messaging limit now (zero without a limit).
	DailyUsed int
}

// Reached is how many recipients the channel accepted a message for.
func (p Progress) Reached() int { return p.Sent + p.Delivered + p.Read }

// Settled is how many recipients have an outcome that will not change by
// sending: everyone but the queued and sending.
func (p Progress) Settled() int { return p.Total - p.Queued - p.Sending }

// Progress returns where the campaign stands; it may be called at any time,
// from any process sharing the store.
func (r *Runner) Progress(ctx context.Context, id string) (Progress, error) {
	b, err := r.bs.Get(ctx, id)
	if err != nil {
		return Progress{}, fmt.Errorf("broadcast progress: %w", err)
	}
	st, err := decodeStored(b.Spec)
	if err != nil {
		return Progress{}, fmt.Errorf("broadcast progress %s: %w", id, err)
	}
	counts, err := r.bs.Counts(ctx, id)
	if err != nil {
		return Progress{}, fmt.Errorf("broadcast progress %s: %w", id, err)
	}
	p := Progress{
		ID: id, State: State(b.State), Halt: st.Halt,
		Queued:    counts[storage.RecipientQueued],
		Sending:   counts[storage.RecipientSending],
		Sent:      counts[storage.RecipientSent],
		Delivered: counts[storage.RecipientDelivered],
		Read:      counts[storage.RecipientRead],
		Failed:    counts[storage.RecipientFailed],
		Skipped:   counts[storage.RecipientSkipped],
		Unknown:   counts[storage.RecipientUnknown],
	}
	for _, n := range counts {
		p.Total += n
	}
	for _, g := range []struct {
		state storage.RecipientState
		n     int
		into  *map[string]int
	}{
		{storage.RecipientFailed, p.Failed, &p.Failures},
		{storage.RecipientSkipped, p.Skipped, &p.Skips},
		{storage.RecipientUnknown, p.Unknown, &p.Unknowns},
	} {
		if g.n == 0 {
			continue
		}
		m := make(map[string]int)
		var after int64
		for {
			rs, err := r.bs.Recipients(ctx, id, g.state, after, 1024)
			if err != nil {
				return Progress{}, fmt.Errorf("broadcast progress %s: %w", id, err)
			}
			if len(rs) == 0 {
				break
			}
			for _, rec := range rs {
				m[rec.Reason]++
				after = rec.Seq
			}
		}
		*g.into = m
	}
	if r.daily != nil {
		p.DailyUsed = r.daily.used(r.clock.Now())
	}
	r.mu.Lock()
	x := r.running[id]
	r.mu.Unlock()
	if x != nil {
		x.mu.Lock()
		if x.hold.After(r.clock.Now()) {
			p.Waiting = x.hold
		}
		x.mu.Unlock()
	}
	return p, nil
}

// HandleStatus implements chat.StatusHandler: it moves the broadcast
// recipient a status is about forward (sent, delivered, read, or failed with
// the channel's error code). Statuses of messages that are not a broadcast's
// are ignored, and so is a status that overtakes the runner recording the
// send (the recipient is then counted as sent until its next status). A line
// chains it after chat.RecordStatus:
//
//	record := chat.RecordStatus(store.Messages())
//	chat.WithStatusHandler(chat.StatusHandlerFunc(func(ctx context.Context, s *chat.Status) error {
//		if err := record.HandleStatus(ctx, s); err != nil {
//			return err
//		}
//		return runner.HandleStatus(ctx, s)
//	}))
func (r *Runner) HandleStatus(ctx context.Context, s *chat.Status) error {
	return TrackStatus(ctx, r.bs, s)
}

var _ chat.StatusHandler = (*Runner)(nil)

// StatusHandler returns a chat.StatusHandler that tracks broadcast
// recipients in bs, for a line that handles statuses in a process that does
// not run campaigns.
func StatusHandler(bs storage.Broadcasts) chat.StatusHandler {
	return chat.StatusHandlerFunc(func(ctx context.Context, s *chat.Status) error {
		return TrackStatus(ctx, bs, s)
	})
}

// recipientOf maps a delivery state onto a recipient state.
var recipientOf = map[chat.StatusState]storage.RecipientState{
	chat.StatusSent:      storage.RecipientSent,
	chat.StatusDelivered: storage.RecipientDelivered,
	chat.StatusRead:      storage.RecipientRead,
	chat.StatusPlayed:    storage.RecipientRead,
	chat.StatusFailed:    storage.RecipientFailed,
}

// statusOf maps a recipient state that came from the channel back onto a
// delivery state, to compare with chat.StatusState.Supersedes.
var statusOf = map[storage.RecipientState]chat.StatusState{
	storage.RecipientSent:      chat.StatusSent,
	storage.RecipientDelivered: chat.StatusDelivered,
	storage.RecipientRead:      chat.StatusRead,
	storage.RecipientFailed:    chat.StatusFailed,
}

// TrackStatus moves the recipient of s forward in bs. States never regress:
// a late "sent" does not overwrite "read", and a failure does not replace a
// read. A status for a message no campaign sent is not an error.
func TrackStatus(ctx context.Context, bs storage.Broadcasts, s *chat.Status) error {
	if s == nil || s.MessageID == "" {
		return nil
	}
	next, ok := recipientOf[s.State]
	if !ok {
		return nil
	}
	for range 5 {
		rec, err := bs.ByMessage(ctx, s.MessageID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("broadcast status: %w", err)
		}
		cur, known := statusOf[rec.State]
		if !known || rec.State == next || !chatState(next).Supersedes(cur) {
			return nil
		}
		from := rec.State
		rec.State = next
		if next == storage.RecipientFailed {
			rec.Reason = "failed"
			if s.Error != nil && s.Error.Code != 0 {
				rec.Reason = strconv.Itoa(s.Error.Code)
			}
		}
		if !s.Time.IsZero() {
			rec.UpdatedAt = s.Time
		}
		err = bs.Transition(ctx, rec, from)
		if errors.Is(err, storage.ErrConflict) {
			continue // another status got there first: look again
		}
		if err != nil {
			return fmt.Errorf("broadcast status: %w", err)
		}
		return nil
	}
	return fmt.Errorf("broadcast status: recipient kept changing: %w", storage.ErrConflict)
}

func chatState(s storage.RecipientState) chat.StatusState { return statusOf[s] }
