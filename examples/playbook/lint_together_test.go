package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/impactchat/impactchat/flow"
)

// lint checks the files together, as the line will load them
// (flow.NewLibrary), once each is valid: two playbooks that start each
// other without a question passed lint and were refused by the line.
func TestLintChecksTheFilesTogetherAsTheLineWill(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(a, []byte("playbook: a\nversion: 1\nlanguages: [en]\nnodes:\n  - id: hello\n    say: Hello from a\n    next: go\n  - id: go\n    start: b\n"), 0o644))
	must(os.WriteFile(b, []byte("playbook: b\nversion: 1\nlanguages: [en]\nnodes:\n  - id: hello\n    say: Hello from b\n    next: go\n  - id: go\n    start: a\n"), 0o644))

	if _, err := flow.LoadLibrary(os.DirFS(dir), "a.yaml", "b.yaml"); err == nil {
		t.Fatal("setup: the library accepts the two playbooks")
	}
	code, out, _ := runCmd(t, "", "lint", a, b)
	if code == 0 {
		t.Errorf("lint exit 0 for two playbooks the library refuses (loop without a question through start):\n%s", out)
	}
}

// A translation written as an empty string (a placeholder in a sheet
// being filled in) is missing, for "translations" as for lint.
func TestTranslationsCountsEmptyTextsAsMissing(t *testing.T) {
	f := filepath.Join(t.TempDir(), "p.yaml")
	src := "playbook: p\nversion: 1\nlanguages: [en, es]\nnodes:\n  - id: hello\n    say: {en: Hello, es: \"\"}\n"
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, lintOut, _ := runCmd(t, "", "lint", f)
	if !strings.Contains(lintOut, "say in es is empty") {
		t.Fatalf("setup: lint output:\n%s", lintOut)
	}
	code, out, _ := runCmd(t, "", "translations", f)
	if code == 0 || strings.Contains(out, "es        0") {
		t.Errorf("translations exit %d for a playbook whose Spanish text is empty:\n%s", code, out)
	}
}
