package yamlerr_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/impactchat/impactchat/internal/yamlerr"
)

func TestLineAndText(t *testing.T) {
	t.Parallel()
	err := errors.New("yaml: line 7: did not find expected '-' indicator")
	if got := yamlerr.Line(err); got != 7 {
		t.Errorf("Line = %d", got)
	}
	if got := yamlerr.Text(err); got != "did not find expected '-' indicator" {
		t.Errorf("Text = %q", got)
	}
	if got := yamlerr.Line(errors.New("yaml: no line here")); got != 0 {
		t.Errorf("Line without one = %d", got)
	}
}

// Where finds the first line whose addition breaks the text, by whatever
// the caller's parser says; here, a line holding "X" breaks it.
func TestWhereFindsTheBreakingLine(t *testing.T) {
	t.Parallel()
	src := []byte("a\nb\nc\nd\nX\nf\ng\n")
	broken := func(p []byte) bool { return bytes.Contains(p, []byte("X")) }
	blockErr := errors.New("yaml: line 2: did not find expected key")
	if got := yamlerr.Where(src, blockErr, broken); got != 5 {
		t.Errorf("Where = %d, want 5", got)
	}
	// Other errors keep the library's line.
	if got := yamlerr.Where(src, errors.New("yaml: line 2: mapping values are not allowed in this context"), broken); got != 2 {
		t.Errorf("Where = %d, want 2", got)
	}
	// When the whole text does not break by the caller's measure, the
	// library's line stands.
	if got := yamlerr.Where([]byte("a\nb\n"), blockErr, broken); got != 2 {
		t.Errorf("Where = %d, want 2", got)
	}
}
