package consent_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/impactchat/impactchat/consent"
)

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseNoticeErrors(t *testing.T) {
	t.Parallel()
	valid := readFile(t, "testdata/notices/en.yaml")
	lineOf := func(s string) int {
		i := strings.Index(valid, s)
		if i < 0 {
			t.Fatalf("%q not in the notice", s)
		}
		return strings.Count(valid[:i], "\n") + 1
	}
	tests := []struct {
		name, old, new string
		line           int // 0: the line of new in the edited file
		field, problem string
	}{
		{"long button", "accept: I agree", "accept: I agree with all of this", 0, "buttons.accept", "is 24 characters; WhatsApp allows 20"},
		{"empty decline", "decline: No thanks", "decline: \"\"", 0, "buttons.decline", "is empty"},
		{"same buttons", "decline: No thanks", "decline: I agree", 0, "buttons.decline", "is the same as buttons.accept"},
		{"bad language", "language: en", "language: English", 0, "language", `is "English"; want a BCP 47 tag`},
		{"material missing", "\nmaterial: true\n", "\n", lineOf("language: en"), "material", "is missing"},
		{"material since missing", "\nmaterial: true\n", "\nmaterial: false\n", lineOf("language: en"), "material_since", "is empty"},
		{"http link", "policy_url: https://help.example.org/privacy/en", "policy_url: http://help.example.org/privacy/en", 0, "policy_url", "must start with https://"},
		{"unknown field", "footer: Agreeing", "fotter: Agreeing", 0, "", "field fotter not found"},
		{"bad basis", "basis: consent\n    required: true", "basis: whim\n    required: true", 0, "purposes[0].basis", `is "whim"`},
		{"required optional", "basis: consent\n    description: reminders", "required: true\n    description: reminders", lineOf("description: reminders") - 1, "purposes[1].required", "only for the core purpose"},
		{"bad ttl", "consent_ttl: 180d", "consent_ttl: half a year", 0, "purposes[1].consent_ttl", `is "half a year"`},
		{"unknown placeholder", "to delete your data, or {export}", "to delete your data, or {exprt}", lineOf("  receipt: |"), "texts.receipt", "unknown placeholder {exprt}"},
		{"no core", "  - purpose: core\n    basis: consent\n    required: true\n", "  - purpose: helpdesk\n    basis: consent\n", lineOf("purposes:") + 1, "purposes", "has no core purpose"},
		{"audio both", "  url: https://help.example.org/privacy/en/notice.ogg", "  url: https://help.example.org/privacy/en/notice.ogg\n  id: \"123\"", lineOf("audio:\n") + 1, "audio", "exactly one of id and url"},
		{"syntax", "header: Before we start", "header: [Before", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(valid, tt.old) {
				t.Fatalf("%q not in the notice", tt.old)
			}
			edited := strings.Replace(valid, tt.old, tt.new, 1)
			_, err := consent.ParseNotice("en.yaml", []byte(edited))
			var le *consent.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LoadError", err)
			}
			want := tt.line
			if want == 0 && tt.new != "" {
				first := strings.SplitN(tt.new, "\n", 2)[0]
				want = strings.Count(edited[:strings.Index(edited, first)], "\n") + 1
			}
			if tt.name == "syntax" {
				want = 0 // the parser names the line it gave up on
			}
			if want != 0 && le.Line != want {
				t.Errorf("line = %d, want %d (%v)", le.Line, want, err)
			}
			if le.Line == 0 {
				t.Errorf("no line in %v", err)
			}
			if le.Field != tt.field {
				t.Errorf("field = %q, want %q (%v)", le.Field, tt.field, err)
			}
			if !strings.Contains(le.Problem, tt.problem) {
				t.Errorf("problem = %q, want it to contain %q", le.Problem, tt.problem)
			}
			if !strings.HasPrefix(err.Error(), "en.yaml:") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestNoticeHashCoversWhatIsShown(t *testing.T) {
	t.Parallel()
	valid := readFile(t, "testdata/notices/en.yaml")
	base, err := consent.ParseNotice("en.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Hash) != 64 {
		t.Fatalf("hash %q is not hex SHA-256", base.Hash)
	}
	for _, c := range []struct {
		old, new string
		same     bool
	}{
		{"# The privacy notice", "# A comment that changes nothing", true},
		{"retention: 365d", "retention: 400d", true}, // not shown in the chat
		{"accept: I agree", "accept: I agree!", false},
		{"Before we start", "Before we begin", false},
		{"Agreeing is your choice.", "It is your choice.", false},
		{"notice.ogg", "notice2.ogg", false},
		{"policy_url: https://help.example.org/privacy/en", "policy_url: https://help.example.org/privacy/en2", false},
	} {
		n, err := consent.ParseNotice("en.yaml", []byte(strings.Replace(valid, c.old, c.new, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if (n.Hash == base.Hash) != c.same {
			t.Errorf("%q → %q: hash same = %v, want %v", c.old, c.new, n.Hash == base.Hash, c.same)
		}
	}
}

// TestExampleNotices checks the notices shipped for lines to start from:
// they load, they fit WhatsApp's limits, and each tells people the control
// words of its own language.
func TestExampleNotices(t *testing.T) {
	t.Parallel()
	ns, err := consent.LoadNotices("../examples/notices", "en")
	if err != nil {
		t.Fatal(err)
	}
	kw := consent.DefaultKeywords()
	for _, lang := range []string{"en", "ar", "es", "fr"} {
		if !ns.Has(lang) {
			t.Errorf("no %s notice", lang)
			continue
		}
		n := ns.Get(lang)
		if err := n.Message().Validate(); err != nil {
			t.Errorf("%s: %v", lang, err)
		}
		for _, a := range []consent.Action{consent.ActionWithdraw, consent.ActionErase, consent.ActionExport} {
			w := kw.Words(lang, a)
			if len(w) == 0 {
				t.Errorf("%s: no %s keyword", lang, a)
				continue
			}
			if !strings.Contains(n.Body, w[0]) {
				t.Errorf("%s: the notice does not tell people to write %q to %s", lang, w[0], a)
			}
		}
		if n.Audio == nil {
			t.Errorf("%s: no audio version", lang)
		}
		if _, ok := n.Terms("core"); !ok {
			t.Errorf("%s: no core purpose", lang)
		}
	}
	if ns.Default().Language != "en" {
		t.Errorf("default = %s", ns.Default().Language)
	}
	if got := ns.Get("es-MX").Language; got != "es" {
		t.Errorf("es-MX falls back to %s, want es", got)
	}
	if got := ns.Get("tr").Language; got != "en" {
		t.Errorf("tr falls back to %s, want the default", got)
	}
}

func TestNoticesDuplicateLanguage(t *testing.T) {
	t.Parallel()
	data := []byte(readFile(t, "testdata/notices/en.yaml"))
	a, err := consent.ParseNotice("a.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := consent.ParseNotice("b.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = consent.NewNotices("", a, b)
	var le *consent.LoadError
	if !errors.As(err, &le) || le.File != "b.yaml" || !strings.Contains(le.Problem, "a.yaml") {
		t.Fatalf("err = %v", err)
	}
	if _, err := consent.NewNotices("fr", a); !errors.Is(err, consent.ErrNoNotice) {
		t.Fatalf("missing default: %v", err)
	}
	if _, err := consent.NewNotices("", a, nil); !errors.Is(err, consent.ErrNoNotice) {
		t.Fatalf("nil notice: %v", err)
	}
}

func TestKeywordsSeedLists(t *testing.T) {
	t.Parallel()
	kw := consent.DefaultKeywords()
	if !kw.Seed() {
		t.Error("the shipped lists must say they are seeds until reviewed")
	}
	want := []string{"ar", "en", "es", "fa", "fr", "prs", "pt", "sw", "uk"}
	if got := kw.Languages(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("languages = %v, want %v", got, want)
	}
	for _, l := range kw.Languages() {
		for _, a := range []consent.Action{consent.ActionWithdraw, consent.ActionErase, consent.ActionExport,
			consent.ActionReceipt, consent.ActionAccept, consent.ActionDecline, consent.ActionAudio, consent.ActionLanguage} {
			if len(kw.Words(l, a)) == 0 {
				t.Errorf("%s has no %s word", l, a)
			}
		}
	}
}

func TestKeywordsMatchTheWholeMessage(t *testing.T) {
	t.Parallel()
	kw := consent.DefaultKeywords()
	tests := []struct {
		text   string
		action consent.Action // "" for no match
		lang   string
	}{
		{"STOP", consent.ActionWithdraw, "en"},
		{"stop", consent.ActionWithdraw, "en"},
		{"  Stop \n", consent.ActionWithdraw, "en"},
		{"stop please", "", ""},
		{"stop he is hitting me", "", ""},
		{"Delete my data", consent.ActionErase, "en"},
		{"delete   MY   data", consent.ActionErase, "en"},
		{"ARRÊT", consent.ActionWithdraw, "fr"},
		{"borrar", consent.ActionErase, "es"},
		{"Mis datos", consent.ActionExport, "es"},
		{"apagar", consent.ActionErase, "pt"},
		{"توقف", consent.ActionWithdraw, "ar"},
		{"احذف", consent.ActionErase, "ar"},
		{"بياناتي", consent.ActionExport, "ar"},
		{"اطلاعات من", consent.ActionExport, "fa"},
		{"стоп", consent.ActionWithdraw, "uk"},
		{"Видалити", consent.ActionErase, "uk"},
		{"futa", consent.ActionErase, "sw"},
		{"العربية", consent.ActionLanguage, "ar"},
		{"hello", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		got, ok := kw.Match(tt.text)
		if ok != (tt.action != "") || got.Action != tt.action {
			t.Errorf("Match(%q) = %+v, %v; want %s", tt.text, got, ok, tt.action)
			continue
		}
		if ok && got.Languages[0] != tt.lang {
			t.Errorf("Match(%q) languages = %v, want %s first", tt.text, got.Languages, tt.lang)
		}
	}
	if got, _ := kw.Match("STOP"); strings.Join(got.Languages, ",") != "en,fr" {
		t.Errorf("STOP is listed in %v, want en and fr", got.Languages)
	}
}

func TestParseKeywordsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		line      int
		problem   string
	}{
		{"status", "status: draft\nlanguages:\n  en:\n    withdraw: [STOP]\n", 1, `is "draft"`},
		{"missing action", "status: seed\nlanguages:\n  en:\n    withdraw: [STOP]\n    erase: [DELETE]\n", 4, "has no export words"},
		{"conflict", "status: seed\nlanguages:\n  en:\n    withdraw: [STOP]\n    erase: [DELETE]\n    export: [MY DATA]\n  xx:\n    withdraw: [QUIT]\n    erase: [stop]\n    export: [DATA]\n", 9, `"stop" reads the same as "STOP" (languages.en.withdraw[0], line 4) but means erase in xx`},
		{"empty word", "status: seed\nlanguages:\n  en:\n    withdraw: [\"  \"]\n", 4, "is empty once normalised"},
		{"bad tag", "status: seed\nlanguages:\n  English:\n    withdraw: [STOP]\n", 4, "is not a BCP 47 tag"},
		{"not yaml", "status: seed\nlanguages: [\n", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := consent.ParseKeywords("kw.yaml", []byte(tt.src))
			var le *consent.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LoadError", err)
			}
			if tt.line != 0 && le.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", le.Line, tt.line, err)
			}
			if !strings.Contains(le.Problem, tt.problem) {
				t.Errorf("problem = %q, want %q", le.Problem, tt.problem)
			}
		})
	}
}

// TestLoadersBoundTheirReads gives the loaders a file larger than the limit
// and a directory with too many notices: each refuses, naming the file and
// the limit, without reading more than it needs.
func TestLoadersBoundTheirReads(t *testing.T) {
	t.Parallel()
	big := &fstest.MapFile{Data: []byte("status: seed\n" + strings.Repeat("#", 300<<10) + "\n")}
	t.Run("keywords", func(t *testing.T) {
		t.Parallel()
		_, err := consent.LoadKeywordsFS(fstest.MapFS{"keywords.yaml": big}, "keywords.yaml")
		var le *consent.LoadError
		if !errors.As(err, &le) || le.File != "keywords.yaml" || !strings.Contains(le.Problem, "262144 bytes") {
			t.Fatalf("got %v; want a LoadError naming keywords.yaml and the limit", err)
		}
	})
	t.Run("notice", func(t *testing.T) {
		t.Parallel()
		_, err := consent.LoadNoticesFS(fstest.MapFS{"notices/en.yaml": big}, "notices", "")
		var le *consent.LoadError
		if !errors.As(err, &le) || le.File != "notices/en.yaml" || !strings.Contains(le.Problem, "262144 bytes") {
			t.Fatalf("got %v; want a LoadError naming notices/en.yaml and the limit", err)
		}
	})
	t.Run("too many notices", func(t *testing.T) {
		t.Parallel()
		en := readFile(t, "testdata/notices/en.yaml")
		fsys := fstest.MapFS{}
		for i := range 101 {
			fsys[fmt.Sprintf("n/%03d.yaml", i)] = &fstest.MapFile{Data: []byte(en)}
		}
		_, err := consent.LoadNoticesFS(fsys, "n", "")
		var le *consent.LoadError
		if !errors.As(err, &le) || !strings.Contains(le.Problem, "more than 100 notice files") {
			t.Fatalf("got %v; want a LoadError naming the limit of 100 files", err)
		}
	})
}
