package triage_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/triage"
)

// N6/T9: a route that sends a conversation to a person at Urgent or
// Critical (an "I am in danger" button) must be handled like an urgent
// signal from the screen or the classifier: a critical case pages on-call
// at once, and so does an urgent one while the line is closed. (The Human
// action's path only sent the safety message and never paged.)
func TestHumanRouteAtUrgentPagesOnCall(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		at   time.Time
		p    triage.Priority
	}{
		{"critical in hours", friday10, triage.Critical},
		{"urgent out of hours", time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC), triage.Urgent}, // Friday 22:00 Quito
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.at)
			rt, err := triage.NewRouter(triage.RouterConfig{
				Queue:   f.queue,
				Replies: testReplies,
				Routes: []triage.Route{
					{Name: "danger", When: triage.Choice("in_danger"), Then: triage.Human(triage.QueueProtection, tc.p)},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			who := person("83")
			m := &chat.Message{ID: "wamid.danger", From: who, Time: f.clock.Now(), Kind: chat.KindChoice, Choice: "in_danger", Text: "I am in danger"}
			if err := rt.Handle(t.Context(), f.phone.replier(who), m); err != nil {
				t.Fatal(err)
			}
			it, err := f.queue.Active(t.Context(), ref(who))
			if err != nil || it.Priority != tc.p {
				t.Fatalf("ticket %+v %v, want priority %v", it, err, tc.p)
			}
			pages := 0
			for _, e := range f.notes.take() {
				if e.Kind == triage.EventPage && e.Target == "oncall" {
					pages++
				}
			}
			if pages != 1 {
				t.Errorf("%v conversation opened by a route: %d pages to on-call, want 1", tc.p, pages)
			}
		})
	}
}
