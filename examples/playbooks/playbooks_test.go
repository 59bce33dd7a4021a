package playbooks_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
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
	scripts, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			first, rest, _ := strings.Cut(string(src), "\n")
			files, ok := strings.CutPrefix(first, "!load ")
			if !ok {
				t.Fatalf("%s: the first line must be \"!load file.yaml...\"", script)
			}
			lib, err := playbooks.Load(strings.Fields(files)...)
			if err != nil {
				t.Fatal(err)
			}
			c := flowtest.New(lib, monday)
			var out bytes.Buffer
			if err := c.Script(strings.NewReader(rest), &out); err != nil {
				t.Fatal(err)
			}
			out.WriteString("---\n" + c.Summary())
			golden := strings.TrimSuffix(script, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s differs (run go test -update and review the diff)\n--- got\n%s", golden, out.Bytes())
			}
		})
	}
}
