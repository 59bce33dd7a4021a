package flow_test

import (
	"flag"
	"os"
	"testing"
	"time"

	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/flow/flowtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// start is a Saturday morning in Ecuador; scripts move the clock with !time.
var start = time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)

// TestTranscripts plays every script in testdata/transcripts against the
// playbooks its "!load" line names and compares the transcript and the
// final session with the .golden file beside it (go test -update rewrites
// them).
func TestTranscripts(t *testing.T) {
	t.Parallel()
	flowtest.Transcripts(t, "testdata/transcripts/*.txt", start, func(files ...string) (*flow.Library, error) {
		return flow.LoadLibrary(os.DirFS("testdata"), files...)
	}, *update)
}
