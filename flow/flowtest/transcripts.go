package flowtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/flow"
)

// Transcripts plays every script file matching pattern (a filepath.Glob
// pattern) as a golden test, each in a parallel subtest named after the
// file. A script's first line is "!load file.yaml..." naming the playbooks,
// which load turns into a Library; the other lines are played with
// Conversation.Script from now. The conversation and the final session
// (Summary) are compared with the .golden file beside the script, or
// written to it when update is true (the -update flag of the caller's
// tests).
func Transcripts(t *testing.T, pattern string, now time.Time, load func(files ...string) (*flow.Library, error), update bool) {
	t.Helper()
	scripts, err := filepath.Glob(pattern)
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts match %s: %v", pattern, err)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), filepath.Ext(script))
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
			lib, err := load(strings.Fields(files)...)
			if err != nil {
				t.Fatal(err)
			}
			c := New(lib, now)
			var out bytes.Buffer
			if err := c.Script(strings.NewReader(rest), &out); err != nil {
				t.Fatal(err)
			}
			out.WriteString("---\n" + c.Summary())
			golden := strings.TrimSuffix(script, filepath.Ext(script)) + ".golden"
			if update {
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
				t.Errorf("%s differs (run go test -update and review the diff)\n--- got\n%s\n--- want\n%s", golden, out.Bytes(), want)
			}
		})
	}
}
