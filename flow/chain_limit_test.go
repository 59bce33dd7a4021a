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
