package triage_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/triage"
)

// Friday 20 November 2026, 10:00 in Quito (UTC-5).
var friday10 = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// TestNextNeverServesLowerPriority is the queue's central property: no
// sequence of opens, claims, releases, closes, raises and lowerings lets
// Next hand out a ticket while a higher-priority one waits unclaimed in the
// queues asked for; among equal priorities, the earliest due goes first.
func TestNextNeverServesLowerPriority(t *testing.T) {
	t.Parallel()
	queues := []string{triage.QueueProtection, triage.QueueGeneral, triage.QueueFraud}
	for seed := range uint64(120) {
		rng := rand.New(rand.NewPCG(seed, 99))
		f := newFixture(t, friday10)
		ctx := t.Context()
		var ids []string
		for step := range 80 {
			f.clock.Advance(time.Duration(rng.IntN(40)) * time.Minute)
			switch op := rng.IntN(7); op {
			case 0, 1: // a message arrives
				p := triage.Priority(rng.IntN(4))
				it, _, err := f.queue.Enqueue(ctx, triage.Request{
					Contact:  ref(person(fmt.Sprint(rng.IntN(12)))),
					Priority: p, Category: triage.HumanRequest, Queue: queues[rng.IntN(len(queues))],
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(ids, it.Ticket.ID) {
					ids = append(ids, it.Ticket.ID)
				}
			case 2: // staff pull the next ticket
				var serve []string
				if rng.IntN(2) == 0 {
					serve = []string{queues[rng.IntN(len(queues))]}
				}
				it, err := f.queue.Next(ctx, "staff-"+fmt.Sprint(rng.IntN(3)), serve...)
				if errors.Is(err, triage.ErrEmpty) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				waiting, err := f.store.Tickets().List(ctx, storage.TicketFilter{States: []storage.TicketState{storage.TicketOpen}, Queues: serve})
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range waiting {
					if w.Priority > it.Ticket.Priority {
						t.Fatalf("seed %d step %d: Next gave %s (%s) while %s (%s) waited unclaimed",
							seed, step, it.Ticket.ID, it.Priority, w.ID, triage.Priority(w.Priority))
					}
					if w.Priority == it.Ticket.Priority && !w.DueAt.IsZero() && w.DueAt.Before(it.Ticket.DueAt) {
						t.Fatalf("seed %d step %d: Next gave %s due %v while %s of the same priority was due %v",
							seed, step, it.Ticket.ID, it.Ticket.DueAt, w.ID, w.DueAt)
					}
				}
			case 3, 4, 5: // staff act on a ticket: close, release, raise or lower
				if len(ids) == 0 {
					continue
				}
				id := ids[rng.IntN(len(ids))]
				cur, err := f.queue.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				staff := cur.Ticket.Assignee
				if staff == "" {
					staff = "supervisor"
				}
				switch rng.IntN(4) {
				case 0:
					_, err = f.queue.Resolve(ctx, id, staff, "answered")
				case 1:
					_, err = f.queue.Release(ctx, id, staff)
				case 2:
					_, err = f.queue.Raise(ctx, id, triage.Priority(rng.IntN(4)), triage.Violence)
				case 3:
					_, err = f.queue.Lower(ctx, id, triage.Priority(rng.IntN(4)), "supervisor", "reviewed: not urgent")
				}
				_ = err // transitions that do not apply (closing a closed ticket) are refused; that is fine
			case 6:
				if _, err := f.queue.Tick(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func TestPriorityIsStickyAndLoweredOnlyByStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, friday10)
	ctx := t.Context()
	who := ref(person("01"))
	it, ch, err := f.queue.Enqueue(ctx, triage.Request{Contact: who, Priority: triage.Urgent, Category: triage.Violence})
	if err != nil || ch != triage.Opened {
		t.Fatalf("enqueue: %v %v", ch, err)
	}
	if it.Ticket.Queue != triage.QueueProtection {
		t.Errorf("violence went to queue %q, want protection", it.Ticket.Queue)
	}
	// A later benign message does not lower it.
	it, ch, err = f.queue.Enqueue(ctx, triage.Request{Contact: who, Priority: triage.Routine})
	if err != nil || ch != triage.Unchanged || it.Priority != triage.Urgent {
		t.Fatalf("routine follow-up: %v %v %v", it.Priority, ch, err)
	}
	// Neither does a raise to a lower priority.
	if it, _ = f.queue.Raise(ctx, it.Ticket.ID, triage.Elevated, triage.HumanRequest); it.Priority != triage.Urgent {
		t.Fatalf("raise lowered to %v", it.Priority)
	}
	// Lowering needs a named staff member and a reason.
	if _, err := f.queue.Lower(ctx, it.Ticket.ID, triage.Routine, "", "x"); !errors.Is(err, triage.ErrStaffRequired) {
		t.Errorf("lower without staff: %v", err)
	}
	if _, err := f.queue.Lower(ctx, it.Ticket.ID, triage.Routine, "officer-7", ""); err == nil {
		t.Error("lower without a reason was accepted")
	}
	low, err := f.queue.Lower(ctx, it.Ticket.ID, triage.Elevated, "officer-7", "spoke to the person: safe now")
	if err != nil || low.Priority != triage.Elevated {
		t.Fatalf("lower: %v %v", low.Priority, err)
	}
	audit, err := f.store.Audit().List(ctx, time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(audit, func(e storage.AuditEntry) bool { return e.Action == "ticket.priority_lowered" })
	if i < 0 {
		t.Fatalf("no audit entry for the lowering: %+v", audit)
	}
	if e := audit[i]; e.Actor != "officer-7" || e.Target != it.Ticket.ID || e.Detail["from"] != "urgent" || e.Detail["to"] != "elevated" {
		t.Errorf("audit entry %+v", e)
	}
	// Without an audit log, lowering fails closed.
	q, err := triage.NewQueue(f.store.Tickets(), triage.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Lower(ctx, it.Ticket.ID, triage.Routine, "officer-7", "x"); !errors.Is(err, triage.ErrAuditRequired) {
		t.Errorf("lower without audit: %v", err)
	}
}

func TestResolveNeedsStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, friday10)
	it, _, err := f.queue.Enqueue(t.Context(), triage.Request{Contact: ref(person("02")), Priority: triage.Critical, Category: triage.SelfHarm})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.queue.Resolve(t.Context(), it.Ticket.ID, "", "closed"); !errors.Is(err, triage.ErrStaffRequired) {
		t.Errorf("resolve without staff: %v", err)
	}
	if _, err := f.queue.Next(t.Context(), ""); !errors.Is(err, triage.ErrStaffRequired) {
		t.Errorf("next without staff: %v", err)
	}
}

func TestSLADueTimes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// Friday 16:00 in Quito.
	f := newFixture(t, time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC))
	routine, _, _ := f.queue.Enqueue(ctx, triage.Request{Contact: ref(person("10")), Priority: triage.Routine})
	urgent, _, _ := f.queue.Enqueue(ctx, triage.Request{Contact: ref(person("11")), Priority: triage.Urgent, Category: triage.Violence})
	// Routine: 8 open hours, 1 on Friday and 7 on Monday: Monday 16:00 Quito.
	if want := time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC); !routine.Ticket.DueAt.Equal(want) {
		t.Errorf("routine due %v, want %v", routine.Ticket.DueAt, want)
	}
	// Urgent: one hour around the clock.
	if want := f.clock.Now().Add(time.Hour); !urgent.Ticket.DueAt.Equal(want) {
		t.Errorf("urgent due %v, want %v", urgent.Ticket.DueAt, want)
	}
}

func TestTickEscalatesAndReportsBreachOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, friday10)
	it, _, err := f.queue.Enqueue(ctx, triage.Request{Contact: ref(person("20")), Priority: triage.Urgent, Category: triage.Violence})
	if err != nil {
		t.Fatal(err)
	}
	kinds := func(es []triage.Event) []string {
		var out []string
		for _, e := range es {
			out = append(out, string(e.Kind)+">"+e.Target)
			if e.TicketID != it.Ticket.ID || e.Priority != triage.Urgent {
				t.Errorf("event %+v names the wrong ticket or priority", e)
			}
		}
		return out
	}
	f.clock.Advance(10 * time.Minute)
	if es, _ := f.queue.Tick(ctx); len(es) != 0 {
		t.Fatalf("events after 10 min: %v", kinds(es))
	}
	f.clock.Advance(6 * time.Minute)
	es, err := f.queue.Tick(ctx)
	if err != nil || !slices.Equal(kinds(es), []string{"escalation>supervisor"}) {
		t.Fatalf("after 16 min: %v %v", kinds(es), err)
	}
	if es, _ := f.queue.Tick(ctx); len(es) != 0 {
		t.Fatalf("the same step fired twice: %v", kinds(es))
	}
	f.clock.Advance(45 * time.Minute)
	es, _ = f.queue.Tick(ctx)
	if got := kinds(es); !slices.Equal(got, []string{"escalation>oncall", "sla_breach>supervisor"}) {
		t.Fatalf("after 61 min: %v", got)
	}
	if got := len(f.notes.take()); got != 3 {
		t.Errorf("notifier heard %d events, want 3", got)
	}
	// The breach stays visible.
	cur, _ := f.queue.Get(ctx, it.Ticket.ID)
	if !cur.Breached {
		t.Error("breached ticket does not show as breached")
	}
	// A claimed ticket does not escalate.
	f2 := newFixture(t, friday10)
	if _, _, err := f2.queue.Enqueue(ctx, triage.Request{Contact: ref(person("21")), Priority: triage.Critical, Category: triage.SelfHarm}); err != nil {
		t.Fatal(err)
	}
	if _, err := f2.queue.Next(ctx, "officer-1"); err != nil {
		t.Fatal(err)
	}
	f2.clock.Advance(2 * time.Hour)
	if es, _ := f2.queue.Tick(ctx); len(es) != 0 {
		t.Errorf("claimed ticket escalated: %v", kinds(es))
	}
}

func TestAcknowledgeOncePerClosedPeriod(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// Friday 18:00 in Quito: closed until Monday 09:00.
	f := newFixture(t, time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC))
	it, _, _ := f.queue.Enqueue(ctx, triage.Request{Contact: ref(person("30")), Priority: triage.Routine})
	ack := func() triage.AckKind {
		cur, err := f.queue.Get(ctx, it.Ticket.ID)
		if err != nil {
			t.Fatal(err)
		}
		k, _, _, err := f.queue.Acknowledge(ctx, cur)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if k := ack(); k != triage.AckOutOfHours {
		t.Fatalf("first ack out of hours = %v", k)
	}
	f.clock.Advance(20 * time.Hour) // Saturday
	if k := ack(); k != triage.AckNone {
		t.Fatalf("second ack in the same closed period = %v", k)
	}
	f.clock.Set(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)) // Monday 10:00: open
	if k := ack(); k != triage.AckNone {
		t.Fatalf("in hours after an ack = %v", k)
	}
	f.clock.Set(time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)) // Monday 18:00: a new closed period
	if k := ack(); k != triage.AckOutOfHours {
		t.Fatalf("new closed period = %v", k)
	}
}

func TestItemsShowWhenTheWindowCloses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, friday10)
	who := ref(person("40"))
	if _, err := f.store.Contacts().Touch(ctx, who, friday10.Add(-23*time.Hour)); err != nil {
		t.Fatal(err)
	}
	it, _, err := f.queue.Enqueue(ctx, triage.Request{Contact: who, Priority: triage.Elevated, Category: triage.HumanRequest})
	if err != nil {
		t.Fatal(err)
	}
	if want := friday10.Add(time.Hour); !it.WindowClosesAt.Equal(want) {
		t.Errorf("window closes %v, want %v", it.WindowClosesAt, want)
	}
	closing, err := f.queue.Closing(ctx, 2*time.Hour)
	if err != nil || len(closing) != 1 || closing[0].Ticket.ID != it.Ticket.ID {
		t.Errorf("Closing = %v, %v", closing, err)
	}
	f.clock.Advance(2 * time.Hour)
	if it, _ := f.queue.Get(ctx, it.Ticket.ID); it.WindowOpen(f.clock.Now()) {
		t.Error("window still open after 25 hours")
	}
}

func TestRoutinePastItsSLAAgesToElevated(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, friday10)
	old, _, _ := f.queue.Enqueue(ctx, triage.Request{Contact: ref(person("90")), Priority: triage.Routine})
	f.clock.Advance(24 * time.Hour * 4) // Tuesday: past 8 open hours
	es, err := f.queue.Tick(ctx)
	if err != nil || len(es) != 1 || es[0].Kind != triage.EventBreach || es[0].Priority != triage.Routine {
		t.Fatalf("events %+v %v", es, err)
	}
	newer, _, _ := f.queue.Enqueue(ctx, triage.Request{Contact: ref(person("91")), Priority: triage.Routine})
	urgent, _, _ := f.queue.Enqueue(ctx, triage.Request{Contact: ref(person("92")), Priority: triage.Urgent, Category: triage.Violence})
	if es, _ := f.queue.Tick(ctx); len(es) != 0 {
		t.Fatalf("aging fired steps again: %+v", es)
	}
	var order []string
	for {
		it, err := f.queue.Next(ctx, "officer-1")
		if err != nil {
			break
		}
		order = append(order, it.Ticket.ID)
	}
	if want := []string{urgent.Ticket.ID, old.Ticket.ID, newer.Ticket.ID}; !slices.Equal(order, want) {
		t.Errorf("order %v, want urgent, aged routine, newer routine %v", order, want)
	}
}
