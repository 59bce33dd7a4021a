package flow_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
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
	scripts, err := filepath.Glob("testdata/transcripts/*.txt")
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
			lib, err := flow.LoadLibrary(os.DirFS("testdata"), strings.Fields(files)...)
			if err != nil {
				t.Fatal(err)
			}
			got := transcript(t, lib, rest)
			golden(t, strings.TrimSuffix(script, ".txt")+".golden", got)
		})
	}
}

func transcript(t *testing.T, lib *flow.Library, script string) []byte {
	t.Helper()
	c := flowtest.New(lib, start)
	var out bytes.Buffer
	if err := c.Script(strings.NewReader(script), &out); err != nil {
		t.Fatal(err)
	}
	out.WriteString("---\n")
	out.WriteString(c.Summary())
	return out.Bytes()
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update and review the diff)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
