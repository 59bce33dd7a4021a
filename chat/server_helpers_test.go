package chat_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
)

const testLine = "106540352242922"

// contactN is the phone number of the n-th test person.
func contactN(n int) string { return fmt.Sprintf("1650555%04d", n) }

func addr(contact string) chat.Address {
	return chat.Address{Channel: chat.ChannelWhatsApp, Line: testLine, Contact: contact}
}

func textEvent(contact, id, text string, at time.Time) chat.Event {
	return chat.Event{Message: &chat.Message{
		ID: id, From: addr(contact), Time: at, Kind: chat.KindText, Text: text,
	}}
}

func statusEvent(contact, msgID string, state chat.StatusState, at time.Time) chat.Event {
	return chat.Event{Status: &chat.Status{MessageID: msgID, To: addr(contact), State: state, Time: at}}
}

// runServer runs srv until the test ends (or stop is called) and reports
// what Run returned.
func runServer(t *testing.T, srv *chat.Server) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// fakeSender records what it sends and numbers the replies.
type fakeSender struct {
	mu   sync.Mutex
	sent []sentReply
	fail error
}

type sentReply struct {
	To      chat.Address
	M       chat.Outgoing
	ID      string
	Purpose chat.Purpose
}

func (f *fakeSender) Send(ctx context.Context, to chat.Address, m chat.Outgoing) (chat.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return chat.SendResult{}, f.fail
	}
	id := fmt.Sprintf("wamid.out.%d", len(f.sent)+1)
	f.sent = append(f.sent, sentReply{To: to, M: m, ID: id, Purpose: chat.IntentFrom(ctx).Purpose})
	return chat.SendResult{MessageID: id, Time: time.Now()}, nil
}

func (f *fakeSender) replies() []sentReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentReply(nil), f.sent...)
}

// recorder is a Handler that remembers the messages it handled, in order,
// and checks that one person's messages are never handled at once.
type recorder struct {
	mu       sync.Mutex
	order    []string            // message ids in the order handled
	byPerson map[string][]string // contact -> message ids, in order
	busy     map[string]bool
	overlaps atomic.Int64
	next     chat.Handler // optional: called after recording
}

func newRecorder() *recorder {
	return &recorder{byPerson: map[string][]string{}, busy: map[string]bool{}}
}

func (r *recorder) Handle(ctx context.Context, rp chat.Replier, m *chat.Message) error {
	c := m.From.Contact
	r.mu.Lock()
	if r.busy[c] {
		r.overlaps.Add(1)
	}
	r.busy[c] = true
	r.mu.Unlock()
	var err error
	if r.next != nil {
		err = r.next.Handle(ctx, rp, m)
	}
	r.mu.Lock()
	r.busy[c] = false
	if err == nil {
		r.order = append(r.order, m.ID)
		r.byPerson[c] = append(r.byPerson[c], m.ID)
	}
	r.mu.Unlock()
	return err
}

func (r *recorder) handled() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.order...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

// waitFor polls cond until it holds or the timeout passes, for tests that
// run on real time (SQL stores). Inside a synctest bubble, time is fake and
// the wait costs nothing.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// faultyStore wraps a store so that its inbox fails Put while failPut is set.
type faultyStore struct {
	storage.Store
	failPut atomic.Bool
}

var errInjected = errors.New("injected store failure")

func (s *faultyStore) Inbox() storage.Inbox { return faultyInbox{Inbox: s.Store.Inbox(), s: s} }

type faultyInbox struct {
	storage.Inbox
	s *faultyStore
}

func (i faultyInbox) Put(ctx context.Context, items []storage.InboxItem, now time.Time) (storage.PutResult, error) {
	if i.s.failPut.Load() {
		return storage.PutResult{}, errInjected
	}
	return i.Inbox.Put(ctx, items, now)
}

// logBuffer is a concurrency-safe buffer for a test logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
