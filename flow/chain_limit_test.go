package flow_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/storage/memory"
)

// A run of say nodes longer than one message may pass through is refused
// by validation, naming where it starts; the longest run that validates also
// runs. (Before, 70 say nodes in a row validated and every message failed.)
func TestLongRunWithoutAQuestion(t *testing.T) {
	var fits int
	for n := 2; n <= 80; n++ {
		lib, err := flow.NewLibrary(chain(t, n))
		if err != nil {
			if !strings.Contains(err.Error(), `starts at "s0"`) {
				t.Fatalf("%d nodes: %v; want the run named from s0", n, err)
			}
			break
		}
		if _, err := flow.NewEngine(lib, flow.Limits{}).Step(flow.Session{}, flow.Env{Now: time.Now()}, text("hi")); err != nil {
			t.Fatalf("%d nodes validate but fail to run: %v", n, err)
		}
		fits = n
	}
	if fits == 0 || fits >= 80 {
		t.Fatalf("longest run that validates: %d nodes; want a limit below 80", fits)
	}
}

// A Runner whose own step limit is below a run of its playbooks is refused
// when it is built, naming the playbook, instead of failing every message
// that enters the run; a limit the runs fit in is accepted.
func TestRunnerLimitBelowARunIsRefused(t *testing.T) {
	lib, err := flow.NewLibrary(chain(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := flow.NewEngine(lib, flow.Limits{Steps: 9}).Step(flow.Session{}, flow.Env{Now: time.Now()}, text("hi")); !errors.Is(err, flow.ErrTooManySteps) {
		t.Fatalf("an engine of 9 steps on a run of 10: %v; want ErrTooManySteps", err)
	}
	store := memory.New()
	_, err = flow.NewRunner(lib, store.Sessions(), nil, flow.WithLimits(flow.Limits{Steps: 9}))
	if err == nil || !strings.Contains(err.Error(), `playbook "long" version 1 has a run of 10 nodes`) {
		t.Fatalf("NewRunner with 9 steps over a run of 10: %v; want it refused, naming the playbook", err)
	}
	r, err := flow.NewRunner(lib, store.Sessions(), nil, flow.WithLimits(flow.Limits{Steps: 10}))
	if err != nil {
		t.Fatalf("NewRunner with 10 steps over a run of 10: %v", err)
	}
	if _, err := r.Engine().Step(flow.Session{}, flow.Env{Now: time.Now()}, text("hi")); err != nil {
		t.Fatalf("a run that fits the limit fails: %v", err)
	}
}

// chain is a playbook of n nodes in a row without a question.
func chain(t *testing.T, n int) *flow.Playbook {
	t.Helper()
	var b strings.Builder
	b.WriteString("playbook: long\nversion: 1\nlanguages: [en]\nnodes:\n")
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "  - id: s%d\n    say: {en: Part %d}\n    next: s%d\n", i, i, i+1)
	}
	fmt.Fprintf(&b, "  - id: s%d\n    end: {en: Bye}\n", n-1)
	pb, err := flow.Parse("long.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// Playbooks that start each other with no question between them, or one
// that starts itself, are refused by NewLibrary: Validate sees one playbook
// at a time, and every message into such a loop would fail. A start that
// reaches a question first is fine.
func TestStartLoopRefused(t *testing.T) {
	parse := func(name, src string) *flow.Playbook {
		pb, err := flow.Parse(name+".yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	starts := func(id, other string) *flow.Playbook {
		return parse(id, "playbook: "+id+"\nversion: 1\nlanguages: [en]\nnodes:\n  - id: hi\n    say: {en: Hi}\n    next: go\n  - id: go\n    start: "+other+"\n")
	}
	for name, pbs := range map[string][]*flow.Playbook{
		"each other": {starts("a", "b"), starts("b", "a")},
		"itself":     {starts("c", "c")},
	} {
		_, err := flow.NewLibrary(pbs...)
		if err == nil || !strings.Contains(err.Error(), "loop without a question through start") {
			t.Errorf("%s: %v; want the loop refused", name, err)
		}
	}
	asks := parse("d", "playbook: d\nversion: 1\nlanguages: [en]\nnodes:\n  - id: q\n    ask: {en: \"Again\"}\n    choices:\n      - id: yes\n        title: {en: \"Yes\"}\n        next: go\n  - id: go\n    start: d\n")
	if _, err := flow.NewLibrary(asks); err != nil {
		t.Errorf("a start loop through a question: %v; want it accepted", err)
	}
}

// The engine counts the nodes of one message on through a start node into
// the playbook it starts. A run that is short in each playbook may be too
// long in all: NewLibrary refuses one longer than the default limit, and
// NewRunner a smaller limit than the longest.
func TestRunsAcrossStartNodes(t *testing.T) {
	starts := func(id string, says int, then string) *flow.Playbook {
		var b strings.Builder
		fmt.Fprintf(&b, "playbook: %s\nversion: 1\nlanguages: [en]\nnodes:\n", id)
		for i := range says {
			fmt.Fprintf(&b, "  - id: s%d\n    say: {en: Part %d}\n    next: s%d\n", i, i, i+1)
		}
		fmt.Fprintf(&b, "  - id: s%d\n%s", says, then)
		pb, err := flow.Parse(id+".yaml", []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	ask := "    ask: {en: \"Which?\"}\n    choices:\n      - id: x\n        title: {en: \"X\"}\n        next: bye\n  - id: bye\n    end: {en: Bye}\n"

	// a: 2 says and a start; b: 3 says and a question. One message: 7 nodes.
	lib, err := flow.NewLibrary(starts("a", 2, "    start: b\n"), starts("b", 3, ask))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := flow.NewEngine(lib, flow.Limits{Steps: 6}).Step(flow.Session{}, flow.Env{Now: time.Now()}, text("hi")); !errors.Is(err, flow.ErrTooManySteps) {
		t.Fatalf("an engine of 6 steps on a run of 7: %v; want ErrTooManySteps", err)
	}
	store := memory.New()
	if _, err := flow.NewRunner(lib, store.Sessions(), nil, flow.WithLimits(flow.Limits{Steps: 6})); err == nil ||
		!strings.Contains(err.Error(), "run of 7 nodes") {
		t.Fatalf("NewRunner with 6 steps over a run of 7 across a start: %v; want it refused", err)
	}
	r, err := flow.NewRunner(lib, store.Sessions(), nil, flow.WithLimits(flow.Limits{Steps: 7}))
	if err != nil {
		t.Fatalf("NewRunner with 7 steps: %v", err)
	}
	if _, err := r.Engine().Step(flow.Session{}, flow.Env{Now: time.Now()}, text("hi")); err != nil {
		t.Fatalf("a run that fits the limit fails: %v", err)
	}

	// Two runs of 40 that each validate, and fail together at the default.
	_, err = flow.NewLibrary(starts("c", 39, "    start: d\n"), starts("d", 39, ask))
	if err == nil || !strings.Contains(err.Error(), "through start nodes") {
		t.Fatalf("a run of 81 nodes across a start: %v; want it refused", err)
	}
}
