package flow_test

import (
	"testing"
	"testing/fstest"

	"github.com/impactchat/impactchat/flow"
)

const remixBase = `playbook: base
version: 1
languages: [en]
nodes:
  - id: menu
    ask: What do you need?
    choices:
      - id: urgent
        title: I am in danger
        next: handoff-urgent
      - id: city
        title: Offices
        next: city
  - id: city
    ask: Which city?
    save: city
    choices:
      - id: quito
        title: Quito
      - id: cuenca
        title: Cuenca
    next: done
  - id: handoff-urgent
    handoff: {priority: urgent, reason: self-reported-urgent}
    next: done
  - id: done
    end: Thank you.
`

func loadRemix(t *testing.T, remix string) *flow.Playbook {
	t.Helper()
	fsys := fstest.MapFS{
		"base.yaml":  {Data: []byte(remixBase)},
		"remix.yaml": {Data: []byte(remix)},
	}
	pb, err := flow.Load(fsys, "remix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// A remix that only relabels the hand-off (its reason) keeps its priority:
// an urgent hand-off must not turn routine because the remix did not repeat
// it (the remix's unwritten priority, 0, used to be copied over).
func TestRemixAmendingHandoffReasonKeepsPriority(t *testing.T) {
	pb := loadRemix(t, `extend: base.yaml
playbook: remix
version: 1
nodes:
  - id: handoff-urgent
    handoff: {reason: danger-reported}
`)
	if err := flow.Validate(pb, nil); err != nil {
		t.Fatalf("remix does not validate: %v", err)
	}
	n := pb.Node("handoff-urgent")
	if n.Reason != "danger-reported" {
		t.Fatalf("reason = %q", n.Reason)
	}
	if n.Priority != 2 {
		t.Errorf("after a remix that only changes the reason, priority = %d, want 2 (urgent, as upstream)", n.Priority)
	}
}

// The other way round: a remix raising the priority keeps the upstream
// reason label.
func TestRemixAmendingHandoffPriorityKeepsReason(t *testing.T) {
	pb := loadRemix(t, `extend: base.yaml
playbook: remix
version: 1
nodes:
  - id: handoff-urgent
    handoff: critical
`)
	n := pb.Node("handoff-urgent")
	if n.Priority != 3 {
		t.Fatalf("priority = %d", n.Priority)
	}
	if n.Reason != "self-reported-urgent" {
		t.Errorf("after a remix that only changes the priority, reason = %q, want %q (as upstream)", n.Reason, "self-reported-urgent")
	}
}

// A remix that amends only the field an upstream question saves to
// ("save:" is one of an ask node's keys) keeps the question: parse takes a
// lone "save:" as a save node, which replaced the whole question.
func TestRemixAmendingSaveOfAnAskKeepsTheQuestion(t *testing.T) {
	pb := loadRemix(t, `extend: base.yaml
playbook: remix
version: 1
nodes:
  - id: city
    save: town
`)
	n := pb.Node("city")
	if n.Kind != flow.KindAsk || len(n.Choices) != 2 || n.Save != "town" {
		t.Errorf("amended node city: kind=%s choices=%d save=%q; want kind=ask choices=2 save=\"town\"", n.Kind, len(n.Choices), n.Save)
	}
	if err := flow.Validate(pb, nil); err != nil {
		t.Errorf("remix does not validate: %v", err)
	}
}
