package flow

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Library holds the playbooks a line runs, each in one or more versions:
// a session continues on the version it started, so an update does not
// break conversations in progress. A Library is read-only once built and
// safe for concurrent use.
type Library struct {
	byID  map[string][]*Playbook // ascending versions
	order []string               // ids in the order first added
}

// NewLibrary validates the playbooks (without looking for media files; use
// LoadLibrary for that) and checks that every start node names a playbook
// of the library. It refuses invalid playbooks: a line does not start with
// one. The first playbook is the entry: where a person without a session
// begins. Several versions of one playbook may be given, in any order.
func NewLibrary(pbs ...*Playbook) (*Library, error) {
	l := &Library{byID: map[string][]*Playbook{}}
	var all Problems
	for _, pb := range pbs {
		if pb == nil {
			continue
		}
		if err := Validate(pb, nil); err != nil {
			all = append(all, err.(Problems)...)
			continue
		}
		versions := l.byID[pb.ID]
		for _, o := range versions {
			if o.Version == pb.Version {
				all = append(all, Problem{Pos: pb.Pos, What: fmt.Sprintf("playbook %q version %d is given twice", pb.ID, pb.Version), Fix: "raise the version of the newer one"})
			}
		}
		if versions == nil {
			l.order = append(l.order, pb.ID)
		}
		versions = append(versions, pb)
		slices.SortFunc(versions, func(a, b *Playbook) int { return a.Version - b.Version })
		l.byID[pb.ID] = versions
	}
	for _, id := range l.order {
		for _, pb := range l.byID[id] {
			for _, n := range pb.Nodes {
				if n.Kind == KindStart && l.byID[n.Playbook] == nil {
					all = append(all, Problem{Pos: n.kindPos, What: fmt.Sprintf("start %q: no such playbook is loaded", n.Playbook), Fix: "load that playbook too, or fix the id"})
				}
			}
		}
	}
	if len(all) == 0 {
		all = append(all, l.startLoops()...)
	}
	if len(all) == 0 {
		if n, pb, from := l.longestRun(); n > defaultMaxStepNodes {
			all = append(all, Problem{Pos: pb.Node(from).Pos,
				What: fmt.Sprintf("a run of %d nodes without a question starts at %q and goes on through start nodes into other playbooks; one message may pass at most %d", n, from, defaultMaxStepNodes),
				Fix:  "put a question in it, or shorten it"})
		}
	}
	if len(all) == 0 && len(l.order) == 0 {
		return nil, fmt.Errorf("flow: new library: %w", Problems{{What: "no playbooks given", Fix: "load at least one playbook"}})
	}
	if err := all.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// LoadLibrary loads the named playbook files from fsys (resolving extend),
// validates them including their media files, and builds a Library. The
// first file is the entry playbook. All problems of all files are reported
// together.
func LoadLibrary(fsys fs.FS, names ...string) (*Library, error) {
	var pbs []*Playbook
	var all Problems
	for _, name := range names {
		pb, err := Load(fsys, name)
		if err != nil {
			if ps, ok := err.(Problems); ok {
				all = append(all, ps...)
				continue
			}
			return nil, err
		}
		if err := Validate(pb, fsys); err != nil {
			all = append(all, err.(Problems)...)
			continue
		}
		pbs = append(pbs, pb)
	}
	if err := all.Err(); err != nil {
		return nil, err
	}
	return NewLibrary(pbs...)
}

// Entry is the id of the playbook a person without a session starts.
func (l *Library) Entry() string { return l.order[0] }

// IDs lists the playbook ids in the order they were added.
func (l *Library) IDs() []string { return slices.Clone(l.order) }

// Get returns the latest version of the playbook, or nil.
func (l *Library) Get(id string) *Playbook {
	v := l.byID[id]
	if len(v) == 0 {
		return nil
	}
	return v[len(v)-1]
}

// Version returns the given version of the playbook, or nil.
func (l *Library) Version(id string, version int) *Playbook {
	for _, pb := range l.byID[id] {
		if pb.Version == version {
			return pb
		}
	}
	return nil
}

// longestRun is the longest run of nodes one message can pass through
// without a question, across start nodes, in any loaded version, with the
// playbook and node where it starts. Validate measures each playbook on its
// own; this adds the runs that go on into the playbooks start nodes start.
func (l *Library) longestRun() (worst int, at *Playbook, from string) {
	w := newRunWalker(l)
	for _, id := range l.order {
		for _, pb := range l.byID[id] {
			if n, node := w.longest(pb); n > worst {
				worst, at, from = n, pb, node
			}
		}
	}
	return worst, at, from
}

// startLoops finds a loop without a question that runs through start nodes,
// across playbooks (one that starts itself, or two that start each other):
// Validate sees one playbook at a time, and every message entering such a
// loop would fail with ErrTooManySteps. A start node may start any loaded
// version of its playbook.
func (l *Library) startLoops() Problems {
	type key struct {
		pb   *Playbook
		node string
	}
	var starts []key
	for _, id := range l.order {
		for _, pb := range l.byID[id] {
			for _, n := range pb.Nodes {
				starts = append(starts, key{pb, n.ID})
			}
		}
	}
	cycle := findLoop(starts, func(k key) ([]key, bool) {
		n := k.pb.Node(k.node)
		if n == nil || n.Kind == KindAsk {
			return nil, false
		}
		var next []key
		for _, to := range n.links() {
			next = append(next, key{k.pb, to})
		}
		if n.Kind == KindStart {
			for _, target := range l.byID[n.Playbook] {
				next = append(next, key{target, target.Start})
			}
		}
		return next, true
	})
	if cycle == nil {
		return nil
	}
	var names []string
	for _, k := range cycle {
		names = append(names, k.pb.ID+":"+k.node)
	}
	last := cycle[len(cycle)-2] // the start node that closes the loop
	return Problems{{Pos: last.pb.Node(last.node).Pos, What: "loop without a question through start: " + strings.Join(names, " → "),
		Fix: "put a question (ask) in the loop, or break it"}}
}
