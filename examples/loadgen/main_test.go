package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/internal/loadgen"
	"github.com/impactchat/impactchat/storage/memory"
)

// A short run through the whole pipeline on each store: every delivery is
// acknowledged and answered. Timings are printed, never checked.
func TestRunIsCompleteOnEachStore(t *testing.T) {
	t.Parallel()
	stores := []string{"memory", "sqlite"}
	pg := os.Getenv("IMPACTCHAT_TEST_POSTGRES")
	switch {
	case pg != "":
		stores = append(stores, "postgres")
	case os.Getenv("IMPACTCHAT_REQUIRE_POSTGRES") == "1":
		t.Error("IMPACTCHAT_REQUIRE_POSTGRES=1 but IMPACTCHAT_TEST_POSTGRES is not set")
	}
	for _, store := range stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			o := options{
				stores: []string{store}, count: 100, duration: 30 * time.Second, rate: 0,
				concurrency: 16, contacts: 20, workers: 8, sqliteSync: "normal", postgresURL: pg, pgConns: 8,
			}
			if err := run(t.Context(), &out, o); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			text := out.String()
			t.Log(text)
			if !strings.Contains(text, "delivered 100 of 100 started (0 failed") || !strings.Contains(text, "replied 100") {
				t.Errorf("not every delivery was acknowledged and answered:\n%s", text)
			}
			if !strings.Contains(text, "handled 100, retried 0, dead 0") {
				t.Errorf("the server did not handle each message once:\n%s", text)
			}
		})
	}
}

func TestRunRefusesUnboundedPlans(t *testing.T) {
	t.Parallel()
	for _, o := range []options{
		{stores: []string{"memory"}, count: 0, duration: time.Second, contacts: 1, workers: 1},
		{stores: []string{"memory"}, count: 10, duration: 0, contacts: 1, workers: 1},
		{stores: []string{"memory"}, count: 10, duration: time.Second, contacts: 0, workers: 1},
		{stores: []string{"nosuch"}, count: 10, duration: time.Second, contacts: 1, workers: 1},
		{stores: []string{"memory"}, count: 10, duration: time.Second, contacts: 1, workers: 1, runs: -1},
		{stores: []string{"memory"}, count: 10, duration: time.Second, contacts: 1, workers: 1, runs: maxRuns + 1},
	} {
		if err := run(t.Context(), &bytes.Buffer{}, o); err == nil {
			t.Errorf("run(%+v) = nil, want an error", o)
		}
	}
}

// Repeated runs each get a fresh store and end with a summary of their
// spread.
func TestRunsAreSummarised(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	o := options{
		stores: []string{"memory"}, count: 50, duration: 30 * time.Second, rate: 0,
		concurrency: 8, contacts: 10, workers: 4, runs: 3,
	}
	if err := run(t.Context(), &out, o); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	if n := strings.Count(text, "handled 50, retried 0, dead 0"); n != 3 {
		t.Errorf("%d runs handled every message once; want 3:\n%s", n, text)
	}
	for _, want := range []string{"memory, 3 runs", "handled msg/s:", "cpu µs/msg:", "ack p99 ms:", "reply p99 ms:"} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary lacks %q:\n%s", want, text)
		}
	}
}

// With -known, the store knows every person before the clock starts, and
// the run adds nobody: the deliveries come from the people it was told of.
func TestKnownPeopleAreThePeopleWriting(t *testing.T) {
	t.Parallel()
	st := memory.New()
	defer st.Close()
	res, err := runPipeline(t.Context(), pipelineConfig{
		Name: "memory", Store: st, Plan: loadgen.Plan{Count: 60, Duration: 30 * time.Second, Concurrency: 8},
		Contacts: 25, Known: true, Workers: 4, Settle: 30 * time.Second, RunID: "known",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replied != 60 {
		t.Fatalf("replied %d of 60", res.Replied)
	}
	n := 0
	for c, err := range st.Contacts().List(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if !c.LastInboundAt.After(time.Now().Add(-time.Minute)) {
			t.Errorf("contact %s was not touched by the run: last inbound %v", c.ID, c.LastInboundAt)
		}
		n++
	}
	if n != 25 {
		t.Errorf("the store knows %d people after the run; want the 25 it was told of", n)
	}
}

func TestSpread(t *testing.T) {
	if got, want := spread([]float64{3, 1, 2}, "%.0f"), "2, 1 - 3; 3, 1, 2"; got != want {
		t.Errorf("odd: %q; want %q", got, want)
	}
	if got, want := spread([]float64{4, 1, 2, 3}, "%.1f"), "2.5, 1.0 - 4.0; 4.0, 1.0, 2.0, 3.0"; got != want {
		t.Errorf("even: %q; want %q", got, want)
	}
}
