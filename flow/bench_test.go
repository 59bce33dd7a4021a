package flow_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/memory"
)

func refugeeLibrary(b testing.TB) *flow.Library {
	b.Helper()
	lib, err := flow.LoadLibrary(os.DirFS("../examples/playbooks"), "refugee-info.yaml", "feedback-survey.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return lib
}

// typicalSession is a person at the city question of the information line,
// in Arabic, having come through the menu.
func typicalSession(b testing.TB, e *flow.Engine, env flow.Env) flow.Session {
	b.Helper()
	r, err := e.Step(flow.Session{}, env, flow.Input{ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGCA5QjM0RkQ4QzI2NDA0N0Q2QUE0QjQ2MTk5OUQ4MzEA", Kind: chat.KindText, Text: "مرحبا"})
	if err != nil {
		b.Fatal(err)
	}
	r, err = e.Step(r.Session, env, flow.Input{ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGCA5QjM0RkQ4QzI2NDA0N0Q2QUE0QjQ2MTk5OUQ4MzEB", Kind: chat.KindChoice, Choice: "menu:offices"})
	if err != nil {
		b.Fatal(err)
	}
	return r.Session
}

// BenchmarkStepMenu is one engine step on the information line's main menu:
// the person types "3" and is asked for their city (a list of options).
func BenchmarkStepMenu(b *testing.B) {
	e := flow.NewEngine(refugeeLibrary(b), flow.Limits{})
	env := flow.Env{Now: start, Language: "ar", Fields: map[string]string{}}
	r, err := e.Step(flow.Session{}, env, flow.Input{Kind: chat.KindText, Text: "hi"})
	if err != nil {
		b.Fatal(err)
	}
	atMenu := r.Session
	in := flow.Input{ID: "wamid.2", Kind: chat.KindText, Text: "3"}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		r, err := e.Step(atMenu, env, in)
		if err != nil || r.Session.Node != "city" {
			b.Fatal(err, r.Session.Node)
		}
	}
	reportCPU(b, cpu0)
}

// reportCPU adds the process CPU time per operation: on a shared, loaded
// machine wall time (ns/op) includes time spent waiting for a core.
func reportCPU(b *testing.B, since time.Duration) {
	if used := cpuTime() - since; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkStepMenuEncode adds what the Runner does around the step:
// decode the stored session and encode the new one.
func BenchmarkStepMenuEncode(b *testing.B) {
	e := flow.NewEngine(refugeeLibrary(b), flow.Limits{})
	env := flow.Env{Now: start, Language: "ar"}
	r, _ := e.Step(flow.Session{}, env, flow.Input{Kind: chat.KindText, Text: "hi"})
	data, _ := r.Session.MarshalBinary()
	in := flow.Input{ID: "wamid.2", Kind: chat.KindText, Text: "3"}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		var s flow.Session
		if err := s.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
		r, err := e.Step(s, env, in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Session.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}

// BenchmarkSessionSize reports the encoded size of a typical session.
func BenchmarkSessionSize(b *testing.B) {
	e := flow.NewEngine(refugeeLibrary(b), flow.Limits{})
	s := typicalSession(b, e, flow.Env{Now: start, Language: "ar"})
	var size int
	b.ReportAllocs()
	for b.Loop() {
		data, err := s.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "bytes/session")
}

// BenchmarkMemory100kSessions stores 100,000 typical sessions (one per
// contact) in the memory store and reports the heap they take. Run it with
// -benchtime=1x.
func BenchmarkMemory100kSessions(b *testing.B) {
	const n = 100_000
	e := flow.NewEngine(refugeeLibrary(b), flow.Limits{})
	data, err := typicalSession(b, e, flow.Env{Now: start, Language: "ar"}).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var mb float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		store := memory.New()
		sessions := store.Sessions()
		for i := range n {
			ref := storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("4479%08d", i)}
			if _, err := sessions.Put(b.Context(), storage.Session{Contact: ref, Data: data, ExpiresAt: now.Add(7 * 24 * time.Hour)}, now); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		mb = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(store)
	}
	b.ReportMetric(mb, "MB/100k-sessions")
	b.ReportMetric(float64(len(data)), "bytes/session")
}

// BenchmarkRunnerHandle is one message through the Runner with the memory
// store: load the contact and the session, step on the main menu, save with
// compare-and-swap, reply.
func BenchmarkRunnerHandle(b *testing.B) {
	store := memory.New()
	r, err := flow.NewRunner(refugeeLibrary(b), store.Sessions(), store.Contacts(), flow.WithClock(func() time.Time { return start }))
	if err != nil {
		b.Fatal(err)
	}
	rep := chat.ReplierFunc(person, func(context.Context, chat.Outgoing) (chat.SendResult, error) { return chat.SendResult{}, nil })
	hi := &chat.Message{ID: "wamid.hi", From: person, Kind: chat.KindText, Text: "hi"}
	pick := &chat.Message{ID: "wamid.pick", From: person, Kind: chat.KindText, Text: "3"}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := r.Handle(b.Context(), rep, hi); err != nil {
			b.Fatal(err)
		}
		if err := r.Handle(b.Context(), rep, pick); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	b.ReportMetric(2, "messages/op")
}
