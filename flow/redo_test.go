package flow_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/storage"
)

// dying stores the session of one armed Put and then fails it, as a process
// that stopped right after the commit would: the step is saved, and nothing
// after it (fields, hand-off, replies, putting the session back) happens.
type dying struct {
	storage.Sessions
	mu    sync.Mutex
	armed bool
	dead  bool
}

var errStopped = errors.New("test: the process stopped")

func (d *dying) Put(ctx context.Context, s storage.Session, now time.Time) (storage.Session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead {
		return storage.Session{}, errStopped
	}
	out, err := d.Sessions.Put(ctx, s, now)
	if err == nil && d.armed {
		d.armed, d.dead = false, true
		return storage.Session{}, errStopped
	}
	return out, err
}

// A process that stops between saving a step and carrying out its effects
// leaves the saved step without them. When the runtime delivers the message
// again, the Runner steps it again from where the person was, so the
// hand-off reaches staff and the person gets the answers a step without the
// stop would have sent; it is not taken as a message already handled.
func TestRunnerStepsARedeliveryAgainWhenTheProcessStoppedAfterTheSave(t *testing.T) {
	t.Parallel()
	staff := chat.Message{ID: "wamid.staff", Kind: chat.KindChoice, Choice: "menu:staff", Text: "Talk to staff"}

	// What the step sends when nothing stops.
	control := newFixture(t, nil)
	control.say(t, "hello")
	if err := control.send(t, staff); err != nil {
		t.Fatal(err)
	}
	want := control.phone.bodies()
	if len(control.queue.calls) != 1 {
		t.Fatalf("control: handoffs %d", len(control.queue.calls))
	}

	sessions := &dying{}
	f := newFixture(t, nil)
	sessions.Sessions = f.store.Sessions()
	before := newRunnerOn(t, f, sessions)
	if err := before.Handle(t.Context(), f.phone.replier(), &chat.Message{ID: "wamid.hello", From: person, Time: f.now, Kind: chat.KindText, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	f.phone.bodies()
	sessions.armed = true
	m := staff
	m.From, m.Time = person, f.now
	if err := before.Handle(t.Context(), f.phone.replier(), &m); !errors.Is(err, errStopped) {
		t.Fatalf("Handle = %v, want the stop", err)
	}
	if len(f.queue.calls) != 0 || len(f.phone.bodies()) != 0 {
		t.Fatal("effects were carried out although the process stopped at the save")
	}

	// The process starts again and the runtime redelivers the message.
	after := newRunnerOn(t, f, f.store.Sessions())
	if err := after.Handle(t.Context(), f.phone.replier(), &m); err != nil {
		t.Fatal(err)
	}
	if len(f.queue.calls) != 1 || f.queue.calls[0] != (handoffCall{person, 1, "asked-for-staff"}) {
		t.Fatalf("handoffs after the redelivery = %+v, want the one the stopped step never made", f.queue.calls)
	}
	equal(t, f.phone.bodies(), want...)

	// The next message is taken against the step, not stepped again.
	equal(t, f.say(t, "hello"), "Hello friend!", "What would you like?")
	if len(f.queue.calls) != 1 {
		t.Fatalf("handoffs = %d after the next message, want still 1", len(f.queue.calls))
	}
}

// A step that was saved and done is not repeated by the person's next
// message, and the session keeps at most one step to redo.
func TestRunnerKeepsOnlyTheLastStepToRedo(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	equal(t, f.say(t, "hello"), "Hello friend!", "What would you like?")
	equal(t, f.tap(t, "menu:name", "Tell my name"), "What should we call you?")
	stored, err := f.store.Sessions().Get(t.Context(), ref, f.now)
	if err != nil {
		t.Fatal(err)
	}
	var s flow.Session
	if err := s.UnmarshalBinary(stored.Data); err != nil {
		t.Fatal(err)
	}
	if s.Redo == nil || s.Redo.Node == s.Node || s.Redo.Redo != nil {
		t.Fatalf("session %+v: want a Redo at the question before, holding none of its own", s)
	}
	// The redelivery of an older message is a new message, as before.
	if err := f.send(t, chat.Message{ID: "wamid.in1", Kind: chat.KindText, Text: "Ami"}); err != nil {
		t.Fatal(err)
	}
	equal(t, f.phone.bodies(), "Thank you, Ami.")
}

func newRunnerOn(t *testing.T, f *fixture, sessions storage.Sessions) *flow.Runner {
	t.Helper()
	r, err := flow.NewRunner(kindsLibrary(t), sessions, f.store.Contacts(),
		flow.WithClock(func() time.Time { return f.now }), flow.WithHandoff(f.queue))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSessionRedoEncoding(t *testing.T) {
	t.Parallel()
	plain := flow.Session{Playbook: "intake", Version: 3, Node: "name", Lang: "ar", Back: []string{"menu"}, LastID: "wamid.2"}
	b, err := plain.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if b[1] != 1 {
		t.Fatalf("a session without Redo is written as format %d; want 1, which earlier code reads", b[1])
	}

	withRedo := plain
	withRedo.Redo = &flow.Session{Playbook: "intake", Version: 3, Node: "menu", Lang: "ar", LastID: "wamid.1"}
	b, err = withRedo.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got flow.Session
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, withRedo) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, withRedo)
	}

	// A Redo never holds one of its own: not written, not read.
	nested := withRedo
	inner := *withRedo.Redo
	inner.Redo = &flow.Session{Playbook: "intake"}
	nested.Redo = &inner
	if _, err := nested.MarshalBinary(); !errors.Is(err, flow.ErrBadSession) {
		t.Fatalf("marshalling a nested Redo: %v, want ErrBadSession", err)
	}
	innerBytes, err := flow.Session{Playbook: "intake", Redo: &flow.Session{Playbook: "x"}}.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := flow.Session{Playbook: "intake"}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	crafted := append([]byte{'F', 2, 2}, outer[3:]...) // the flag byte says a Redo follows
	crafted = append(crafted, innerBytes...)
	if err := got.UnmarshalBinary(crafted); !errors.Is(err, flow.ErrBadSession) {
		t.Fatalf("decoding a nested Redo: %v, want ErrBadSession", err)
	}
	// Format 1 has no Redo.
	old := append([]byte(nil), b...)
	old[1] = 1
	if err := got.UnmarshalBinary(old); !errors.Is(err, flow.ErrBadSession) {
		t.Fatalf("decoding a Redo in format 1: %v, want ErrBadSession", err)
	}
}
