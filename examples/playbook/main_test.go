package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const examples = "../playbooks/"

func TestLint(t *testing.T) {
	t.Parallel()
	code, out, _ := runCmd(t, "", "lint", examples+"refugee-info.yaml", examples+"feedback-survey.yaml", examples+"refugee-info-canada.yaml", examples+"newcomer-settlement.yaml")
	if code != 0 || !strings.Contains(out, "ok: 4 playbook(s) checked") {
		t.Fatalf("lint of the examples: exit %d\n%s", code, out)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	src := "playbook: bad\nversion: 1\nlanguages: [en, ar]\nnodes:\n  - id: menu\n    ask: {en: \"Help?\"}\n    choices:\n      - {id: staff, title: {en: Talk to someone now!, ar: موظف}, next: staf}\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, "", "lint", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"bad.yaml:6:15: question has no ar translation",
		`bad.yaml:8:72: "menu" links to "staf", which is not a node`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "button title") {
		t.Errorf("a 20-character title was refused:\n%s", out)
	}
}

func TestLintNotesStartsOutsideTheFiles(t *testing.T) {
	t.Parallel()
	code, out, _ := runCmd(t, "", "lint", examples+"refugee-info.yaml")
	if code != 0 || !strings.Contains(out, `starts playbook "feedback-survey", which is not among the files given`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestTranslations(t *testing.T) {
	t.Parallel()
	code, out, _ := runCmd(t, "", "translations", examples+"refugee-info.yaml")
	if code != 0 || !strings.Contains(out, "es        0") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	partial := filepath.Join(t.TempDir(), "partial.yaml")
	src := "playbook: p\nversion: 1\nlanguages: [en, es, ar]\nnodes:\n  - id: hi\n    end:\n      en: Bye\n      es: Adiós\n"
	if err := os.WriteFile(partial, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, "", "translations", partial)
	if code != 1 || !strings.Contains(out, "ar        1") || !strings.Contains(out, "partial.yaml:7:11: hi: end: missing ar") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestTry(t *testing.T) {
	t.Parallel()
	script := "hola\n3\nQuito\n# comment\n2\n!tap no\n"
	code, out, errOut := runCmd(t, script, "try", "-lang", "es", "-time", "2026-11-23T10:00:00-05:00", examples+"refugee-info.yaml", examples+"feedback-survey.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"> hola\n",
		"< ¿Sobre qué le gustaría saber?",
		"     3. Oficinas — Dónde encontrarnos, por ciudad",
		"Oficina de Quito",
		"[handed to staff: priority 0, asked-for-staff]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("try output lacks %q:\n%s", want, out)
		}
	}
}

func TestTryRefusesInvalidPlaybooks(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCmd(t, "hi\n", "try", examples+"refugee-info.yaml")
	if code != 1 || !strings.Contains(errOut, `start "feedback-survey": no such playbook is loaded`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	if code, _, _ := runCmd(t, ""); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
	if code, _, errOut := runCmd(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d %s", code, errOut)
	}
	if code, _, _ := runCmd(t, "", "lint"); code != 2 {
		t.Errorf("lint without files: exit %d", code)
	}
}

func TestTranslationsCSV(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, "", "translations", "-csv", examples+"feedback-survey.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"where,position,en,es,ar\n",
		"found: choice partly title,",
		",Partly,En parte,جزئيًا\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("csv lacks %q:\n%s", want, out)
		}
	}
}

// A line longer than the scanner takes ends the conversation with an
// error, not with a silent success.
func TestTryRefusesOverlongInput(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCmd(t, "hola\n"+strings.Repeat("a", 70_000)+"\n", "try", examples+"refugee-info.yaml", examples+"feedback-survey.yaml")
	if code != 1 || !strings.Contains(errOut, "longer than 65536 bytes") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
