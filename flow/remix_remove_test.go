package flow_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/impactchat/impactchat/flow"
)

// A remove that names nothing upstream is reported where it is written: a
// mistyped id would otherwise keep the node or choice its author meant to
// drop, silently.
func TestRemixRemoveOfUnknownIDIsAProblem(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ remix, want string }{
		"node": {`extend: base.yaml
playbook: remix
version: 1
nodes:
  - id: City
    remove: true
`, `remix.yaml:5:9: remove: the upstream playbook has no node "City"`},
		"choice": {`extend: base.yaml
playbook: remix
version: 1
nodes:
  - id: city
    choices:
      - id: guayaquil
        remove: true
`, `remix.yaml:7:13: remove: node "city" has no choice "guayaquil" upstream`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{
				"base.yaml":  {Data: []byte(remixBase)},
				"remix.yaml": {Data: []byte(tc.remix)},
			}
			_, err := flow.Load(fsys, "remix.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v; want a problem %q", err, tc.want)
			}
		})
	}
	// Removing what exists still works.
	pb := loadRemix(t, `extend: base.yaml
playbook: remix
version: 1
nodes:
  - id: city
    choices:
      - id: cuenca
        remove: true
`)
	if n := pb.Node("city"); n == nil || len(n.Choices) != 1 || n.Choices[0].ID != "quito" {
		t.Fatalf("city after the remix: %+v", n)
	}
}
