// Package textnorm is the one normaliser applied to both lexicon entries and
// inbound messages, so that a keyword matches however the person typed it.
package textnorm

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Key returns the matching key of s: NFKC-normalised, case-folded, with
// runs of white space collapsed to one space and trimmed.
func Key(s string) string {
	s = norm.NFKC.String(s)
	s = strings.ToLower(s)
	return strings.Join(strings.Fields(s), " ")
}
