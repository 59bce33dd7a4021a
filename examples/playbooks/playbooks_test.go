package playbooks_test

import (
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/impactchat/impactchat/examples/playbooks"
	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/flow/flowtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Monday 23 November 2026, 15:00 UTC: office hours in Ecuador and Ottawa.
var monday = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

func TestPlaybooksAreValid(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("playbooks: %v %v", files, err)
	}
	for _, f := range files {
		pb, err := flow.Load(playbooks.FS, f)
		if err == nil {
			err = flow.Validate(pb, playbooks.FS)
		}
		if err != nil {
			t.Errorf("%s:\n%v", f, err)
			continue
		}
		if missing := flow.Missing(pb); len(missing) > 0 {
			t.Errorf("%s: missing translations: %+v", f, missing)
		}
	}
	if _, err := playbooks.RefugeeInfo(); err != nil {
		t.Fatal(err)
	}
}

// TestTranscripts plays each script in testdata against the playbooks its
// "!load" line names and compares the conversation and the final session
// with the .golden file (go test -update rewrites them).
func TestTranscripts(t *testing.T) {
	t.Parallel()
	flowtest.Transcripts(t, "testdata/*.txt", monday, playbooks.Load, *update)
}
