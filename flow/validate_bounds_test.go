package flow_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/flow"
)

// A playbook far above the 500-node limit is refused at once: Validate
// went on over every node, and for every broken link compared its target
// with every node id (quadratic), so a 280 kB file took more than ten
// seconds to lint, and one at the 1 MB limit minutes.
func TestValidateOfAHugePlaybookIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("playbook: p\nversion: 1\nlanguages: [en]\nnodes:\n")
	for i := 0; i < 8000; i++ {
		fmt.Fprintf(&b, "- {id: n%d, say: x, next: m%d}\n", i, i)
	}
	src := b.String()
	if len(src) > flow.MaxFileSize/3 {
		t.Fatalf("setup: %d bytes", len(src))
	}
	pb, err := flow.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = flow.Validate(pb, nil)
	took := time.Since(start)
	if err == nil {
		t.Fatal("setup: a playbook of 8000 nodes with broken links validates")
	}
	if took > 2*time.Second {
		t.Errorf("Validate of a %d-byte playbook (8000 nodes, each with a broken link) took %v", len(src), took.Round(time.Millisecond))
	}
}
