package triage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/triage"
)

// flakyNotifier fails its first call (a pager gateway that hiccups once),
// then delivers.
type flakyNotifier struct {
	mu        sync.Mutex
	calls     int
	delivered []triage.Event
}

func (n *flakyNotifier) Notify(_ context.Context, e triage.Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls++
	if n.calls == 1 {
		return errors.New("pager gateway: 503")
	}
	n.delivered = append(n.delivered, e)
	return nil
}

func (n *flakyNotifier) onCallHeard() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.delivered {
		if e.Target == "oncall" {
			return true
		}
	}
	return false
}

// N6/T9: out of hours an urgent conversation pages on-call. When the page
// fails once it is tried again at once, not left to the escalation chain's
// 60-minute step.
func TestFailedPageIsRetriedPromptly(t *testing.T) {
	t.Parallel()
	flaky := &flakyNotifier{}
	f := newFixture(t, time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC), triage.WithNotifier(flaky)) // Friday 22:00 in Quito
	s, err := triage.NewScreen(triage.ScreenConfig{Lexicon: seeds(t), Queue: f.queue, Replies: testReplies})
	if err != nil {
		t.Fatal(err)
	}
	who := person("77")
	m := &chat.Message{ID: "wamid.page1", From: who, Time: f.clock.Now(), Kind: chat.KindText, Text: "he is hitting me, please come"}
	if err := s.Middleware(nil).Handle(t.Context(), f.phone.replier(who), m); err != nil {
		t.Fatalf("handle: %v", err)
	}
	// The line ticks every 30 seconds; give it ten minutes.
	for range 20 {
		f.clock.Advance(30 * time.Second)
		_, _ = f.queue.Tick(t.Context())
	}
	if !flaky.onCallHeard() {
		t.Fatalf("10 minutes after an out-of-hours urgent message whose page failed once, on-call has still not been notified (delivered: %+v)", flaky.delivered)
	}
}

// onceFailingOnCall fails the first notification meant for on-call.
type onceFailingOnCall struct {
	mu        sync.Mutex
	failed    bool
	delivered []triage.Event
}

func (n *onceFailingOnCall) Notify(_ context.Context, e triage.Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.Target == "oncall" && !n.failed {
		n.failed = true
		return errors.New("pager gateway: 503")
	}
	n.delivered = append(n.delivered, e)
	return nil
}

// T10/N7: Tick records a step as taken before it notifies; a step whose
// notification failed is taken back, so one failed delivery of the on-call
// step does not leave on-call unaware of an unclaimed urgent case.
func TestFailedEscalationIsRetried(t *testing.T) {
	t.Parallel()
	n := &onceFailingOnCall{}
	f := newFixture(t, friday10, triage.WithNotifier(n))
	if _, _, err := f.queue.Enqueue(t.Context(), triage.Request{Contact: ref(person("78")), Priority: triage.Urgent, Category: triage.Violence}); err != nil {
		t.Fatal(err)
	}
	for range 6 * 60 * 2 { // six hours of 30-second ticks
		f.clock.Advance(30 * time.Second)
		_, _ = f.queue.Tick(t.Context())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.delivered {
		if e.Target == "oncall" {
			return
		}
	}
	t.Fatalf("an urgent ticket left unclaimed for six hours never reached on-call after one failed delivery; delivered %d events", len(n.delivered))
}
