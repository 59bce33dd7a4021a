package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
)

// /lang typed before the person's first message is kept and applied once
// the line has recorded them: the phone said it would be, and the line's
// answers after the notice follow it. (It was kept and never used.)
func TestPhoneLanguageChosenBeforeTheFirstMessage(t *testing.T) {
	cfg := config{
		addr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "line.db"), phone: true, workers: 4,
		getenv: func(string) string { return "" },
	}
	var out syncBuilder
	a, err := newApp(t.Context(), cfg, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stdin, stdinW := io.Pipe() // stays open, as a terminal does
	go func() { done <- a.run(ctx, stdin) }()
	defer func() { cancel(); stdinW.Close(); <-done }()

	a.phone.handle(ctx, "/lang es")
	a.phone.handle(ctx, "hello")
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: a.phone.number}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := a.store.Contacts().Get(ctx, ref)
		if err == nil && c.Language == "es" && strings.Contains(out.String(), "Your language is now es.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the person's language after /lang es and a first message: %q, %v; want es, and the phone saying so\n%s", c.Language, err, out.String())
		}
	}
}

type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
