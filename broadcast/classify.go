package broadcast

import (
	"context"
	"errors"
	"time"

	"github.com/impactchat/impactchat/chat"
)

// Action is what the runner does after a failed send.
type Action int

// The actions a Classifier chooses from.
const (
	// Unknown: the message may or may not have gone out (the connection
	// failed after the request was written, or the error is not understood).
	// The recipient is recorded as unknown and never sent to again.
	Unknown Action = iota
	// Retry: nothing was sent; try this recipient again later, with backoff.
	Retry
	// Stop: nothing was sent and nothing will change that for this person
	// (not on the channel, opted out, template problem); the recipient is
	// recorded as failed with the reason.
	Stop
	// Fatal: nothing was sent and every other send would fail the same way
	// (an invalid token, a disabled account). The recipient goes back to the
	// queue and the campaign is paused until someone fixes the cause.
	Fatal
)

// String names the action, for logs and progress reports.
func (a Action) String() string {
	switch a {
	case Retry:
		return "retry"
	case Stop:
		return "stop"
	case Fatal:
		return "fatal"
	}
	return "unknown"
}

// Outcome is how a failed send is handled.
type Outcome struct {
	Action Action
	// Reason is recorded on the recipient and counted in Progress: an error
	// code or a short rule name such as "131026" or "invalid". Never
	// personal data or message text.
	Reason string
	// After is the least time to wait before a retry (the response's
	// Retry-After); the runner's backoff applies when it is longer.
	After time.Duration
	// Throttle says the limit hit is the line's, not the person's (a
	// throughput limit or an outage): the whole campaign holds back, not only
	// this recipient.
	Throttle bool
}

// Classifier decides what a send error means for the campaign. The runner
// never retries an error its classifier did not mark Retry.
type Classifier func(err error) Outcome

// DefaultClassifier knows only what any channel's errors say about
// themselves: an invalid message stops for that recipient, an error with a
// Temporary method reporting true is retried (holding the campaign back),
// and everything else is Unknown, so that a message that may have gone out is
// never sent again. Lines plug in their channel's classifier with
// WithClassifier.
func DefaultClassifier(err error) Outcome {
	var tmp interface{ Temporary() bool }
	switch {
	case errors.Is(err, chat.ErrInvalid):
		return Outcome{Action: Stop, Reason: "invalid"}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return Outcome{Action: Unknown, Reason: "interrupted"}
	case errors.As(err, &tmp) && tmp.Temporary():
		return Outcome{Action: Retry, Reason: "temporary", Throttle: true}
	}
	return Outcome{Action: Unknown, Reason: "error"}
}
