package flow_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/impactchat/impactchat/flow"
)

// A block broken by a line indented wrongly is reported at that line, not
// at the line where the block began (which is all the YAML library says).
func TestYAMLErrorPointsAtTheBrokenLine(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ src, want string }{
		"choice key dedented": {"playbook: x\nversion: 1\nlanguages: [en]\nnodes:\n  - id: menu\n    ask: What?\n    choices:\n      - id: a\n        title: A\n       next: done\n  - id: done\n    end: bye\n",
			"p.yaml:10:1: YAML: did not find expected '-' indicator"},
		"node key dedented": {"playbook: x\nversion: 1\nnodes:\n  - id: menu\n    say: hi\n  next: done\n  - id: done\n    end: bye\n",
			"p.yaml:6:1: YAML: did not find expected '-' indicator"},
		"colon in a value": {"playbook: x\nversion: 1\nnodes:\n  - id: menu\n    say: Note: bring your papers\n",
			"p.yaml:5:1: YAML: mapping values are not allowed"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := flow.Load(fstest.MapFS{"p.yaml": {Data: []byte(tc.src)}}, "p.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v; want %q", err, tc.want)
			}
		})
	}
}
