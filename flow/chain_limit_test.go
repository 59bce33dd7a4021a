package flow_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/flow"
)

// A run of say nodes longer than one message may pass through is refused
// by validation, naming where it starts; the longest run that validates also
// runs. (Before, 70 say nodes in a row validated and every message failed.)
func TestLongRunWithoutAQuestion(t *testing.T) {
	chain := func(n int) *flow.Playbook {
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
	var fits int
	for n := 2; n <= 80; n++ {
		lib, err := flow.NewLibrary(chain(n))
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
