package flow

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrInvalid is matched by every *Problems: the playbook cannot run.
	ErrInvalid = errors.New("flow: invalid playbook")
	// ErrTooManySteps: one input led through more nodes than the engine's
	// step limit without reaching a question.
	ErrTooManySteps = errors.New("flow: too many steps without a question")
	// ErrBadSession: stored session bytes could not be decoded.
	ErrBadSession = errors.New("flow: bad session data")
	// ErrUnknownPlaybook: a session or a start node names a playbook the
	// library does not hold.
	ErrUnknownPlaybook = errors.New("flow: unknown playbook")
)

// Problem is one thing wrong with a playbook: where, what, and how to fix it.
type Problem struct {
	Pos  Pos
	What string // what is wrong
	Fix  string // how to fix it; may be empty
}

// String gives the position, what is wrong and how to fix it.
func (p Problem) String() string {
	s := p.Pos.String() + ": " + p.What
	if p.Fix != "" {
		s += " (" + p.Fix + ")"
	}
	return s
}

// Problems is the list of everything wrong with one or more playbooks. As an
// error it prints one problem per line and matches ErrInvalid.
type Problems []Problem

// Error lists every problem, one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is makes Problems match ErrInvalid.
func (ps Problems) Is(target error) bool { return target == ErrInvalid }

// Sort orders problems by file, line and column.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns ps as an error, or nil when there is none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	ps.Sort()
	return ps
}

type problems struct{ found Problems }

func (ps *problems) add(pos Pos, fix, format string, args ...any) {
	ps.found = append(ps.found, Problem{Pos: pos, What: fmt.Sprintf(format, args...), Fix: fix})
}

// suggest returns ` (did you mean "x"?)`-style advice for a misspelt name.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// distance is the Levenshtein distance between a and b, capped for long
// strings so that it stays cheap.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
