package triage_test

import (
	"testing"

	"github.com/impactchat/impactchat/triage"
)

// A message written in look-alike letters is matched again as the Latin text
// it imitates, word by word: one emoji (or one ordinary Cyrillic or Arabic
// word) beside the forged word does not switch the look-alike matching off.
// "kіll myself" (Cyrillic і) is critical with or without a 😭 after it.
func TestLookAlikeLettersWithAnEmoji(t *testing.T) {
	t.Parallel()
	lex := seeds(t)
	top := func(s string) triage.Priority {
		p := triage.Routine
		for _, r := range lex.Match(s, nil) {
			p = max(p, r.Priority)
		}
		return p
	}
	if p := top("I want to k\u0456ll myself"); p != triage.Critical {
		t.Fatalf("baseline: look-alike text alone is %v", p)
	}
	for _, s := range []string{
		"I want to k\u0456ll myself 😭",
		"😭 h\u0435 is hitting m\u0435",
		"h\u0435 is hitting m\u0435, допоможіть",
	} {
		if p := top(s); p < triage.Urgent {
			t.Errorf("%q: priority %v; the look-alike phrase in it is not matched", s, p)
		}
	}
}
