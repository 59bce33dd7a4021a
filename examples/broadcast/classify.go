package main

import (
	"errors"
	"strconv"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp"
)

// classify tells the broadcast runner what a WhatsApp error means:
//
//   - 131056 (too many messages to one person): retry that person later,
//     honouring Retry-After, with the runner's growing backoff;
//   - 130429 (throughput), other rate limits and outages: retry, and hold the
//     whole campaign back;
//   - a token, permission or account problem: every send would fail, so the
//     campaign pauses until someone fixes it;
//   - a request that may have reached Meta before the connection failed:
//     unknown, never sent again;
//   - any other answer from Meta (131026 undeliverable, 131050 stopped
//     marketing, 131047 outside the window, 132xxx template problems...):
//     stop for that person, with the code recorded.
func classify(err error) broadcast.Outcome {
	var (
		api   *whatsapp.APIError
		code  string
		after time.Duration
	)
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
		return broadcast.Outcome{Action: broadcast.Retry, Reason: orElse(code, "unavailable"), After: after, Throttle: true}
	case errors.Is(err, whatsapp.ErrAuth), errors.Is(err, whatsapp.ErrPermission), errors.Is(err, whatsapp.ErrAccount):
		return broadcast.Outcome{Action: broadcast.Fatal, Reason: code}
	case api != nil:
		return broadcast.Outcome{Action: broadcast.Stop, Reason: code}
	case errors.Is(err, chat.ErrInvalid):
		return broadcast.Outcome{Action: broadcast.Stop, Reason: "invalid"}
	case whatsapp.Retryable(err):
		// The connection failed before the request was written.
		return broadcast.Outcome{Action: broadcast.Retry, Reason: "network", Throttle: true}
	}
	return broadcast.DefaultClassifier(err)
}

func orElse(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
