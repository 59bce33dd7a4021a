package impactchat

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/impactchat/impactchat"

// rule says what the packages under a directory may import besides the
// standard library. A package takes the rule of the longest matching dir; a
// package may always import its own subtree's parent chain (flow/x may
// import flow).
type rule struct {
	dir      string   // module-relative directory; "" is the root
	internal []string // module-relative packages allowed; "x/..." allows x and its subtree
	external []string // third-party module paths (and their subpackages) allowed
	anything bool     // examples: no restriction
}

// allowed is DESIGN.md's table of who may import whom.
var allowed = []rule{
	{dir: "", internal: nil},
	{dir: "chat", internal: []string{"storage", "internal/..."}},
	{dir: "whatsapp", internal: []string{"chat", "internal/..."}, external: []string{"golang.org/x/time/rate", "github.com/cenkalti/backoff/v4"}},
	{dir: "whatsapp/webhook", internal: []string{"whatsapp", "chat", "internal/..."}},
	{dir: "whatsapp/whatsapptest", internal: []string{"whatsapp", "whatsapp/webhook/...", "chat", "internal/..."}},
	{dir: "consent", internal: []string{"chat", "storage", "internal/..."}, external: []string{"go.yaml.in/yaml/v3", "golang.org/x/text", "github.com/google/uuid"}},
	{dir: "triage", internal: []string{"chat", "storage", "internal/..."}, external: []string{"go.yaml.in/yaml/v3", "golang.org/x/text", "github.com/google/uuid"}},
	{dir: "flow", internal: []string{"chat", "storage", "internal/..."}, external: []string{"go.yaml.in/yaml/v3", "golang.org/x/text", "github.com/google/uuid"}},
	{dir: "broadcast", internal: []string{"chat", "storage", "internal/..."}, external: []string{"golang.org/x/time/rate", "github.com/google/uuid"}},
	{dir: "storage", internal: nil},
	{dir: "storage/memory", internal: []string{"storage", "internal/..."}, external: []string{"github.com/google/uuid"}},
	{dir: "storage/sqlite", internal: []string{"storage", "internal/..."}, external: []string{"modernc.org/sqlite", "github.com/google/uuid"}},
	{dir: "storage/postgres", internal: []string{"storage", "internal/..."}, external: []string{"github.com/jackc/pgx/v5", "github.com/google/uuid"}},
	{dir: "storage/keyring", internal: []string{"storage", "internal/..."}},
	// Test helpers that open a real backend for other packages' tests.
	{dir: "storage/postgres/postgrestest", internal: []string{"storage", "storage/postgres", "storage/keyring", "internal/..."}, external: []string{"github.com/jackc/pgx/v5"}},
	{dir: "storage/storagetest", internal: []string{"storage"}},
	{dir: "internal", internal: []string{"internal/..."}, external: []string{"golang.org/x/text", "github.com/google/uuid"}},
	// The SQL shared by the two SQL backends speaks the storage contracts.
	{dir: "internal/sqlstore", internal: []string{"storage", "internal/..."}, external: []string{"github.com/google/uuid"}},
	{dir: "examples", anything: true},
}

// testOnly are the third-party modules any package's tests may use.
var testOnly = []string{
	"github.com/stretchr/testify", "go.uber.org/mock", "github.com/getkin/kin-openapi",
	"github.com/chromedp/chromedp", "github.com/chromedp/cdproto",
}

func under(p, dir string) bool { return dir == "" || p == dir || strings.HasPrefix(p, dir+"/") }

func ruleFor(dir string) rule {
	best := allowed[0]
	for _, r := range allowed {
		if under(dir, r.dir) && len(r.dir) >= len(best.dir) {
			best = r
		}
	}
	return best
}

// check returns why pkg (module-relative dir) may not import imp, or "".
func check(pkg, imp string, test bool) string {
	r := ruleFor(pkg)
	if r.anything {
		return ""
	}
	if rel, ok := strings.CutPrefix(imp, module); ok {
		rel = strings.TrimPrefix(rel, "/")
		if r.dir != "" && under(rel, r.dir) && rel != pkg && under(pkg, rel) {
			return "" // a subpackage importing a parent in its own tree
		}
		if r.dir != "" && under(rel, pkg) {
			return "" // a package importing its own subpackages (e.g. helpers)
		}
		for _, a := range r.internal {
			if tree, ok := strings.CutSuffix(a, "/..."); ok && under(rel, tree) || rel == a {
				return ""
			}
		}
		if test {
			// Tests may use the fakes and backends to exercise a package, but
			// never the domain packages a package must not know.
			for _, d := range []string{"consent", "triage", "flow", "broadcast"} {
				if under(rel, d) && !under(pkg, d) {
					return pkg + " (test) imports " + rel
				}
			}
			return ""
		}
		return pkg + " imports " + rel
	}
	first := strings.SplitN(imp, "/", 2)[0]
	if !strings.Contains(first, ".") {
		return "" // standard library
	}
	for _, a := range r.external {
		if imp == a || strings.HasPrefix(imp, a+"/") {
			return ""
		}
	}
	if test {
		for _, a := range testOnly {
			if imp == a || strings.HasPrefix(imp, a+"/") {
				return ""
			}
		}
	}
	return pkg + " imports third-party " + imp
}

func TestImportRules(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	var violations []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		if dir == "." {
			dir = ""
		}
		test := strings.HasSuffix(p, "_test.go")
		for _, is := range f.Imports {
			imp, _ := strconv.Unquote(is.Path.Value)
			if why := check(dir, imp, test); why != "" {
				violations = append(violations, p+": "+why)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(violations)
	for _, v := range slices.Compact(violations) {
		t.Error(v)
	}
}

// TestImportRulesCatchViolations shows the checker refusing the arrows
// DESIGN.md forbids and accepting the ones it allows.
func TestImportRulesCatchViolations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pkg, imp string
		test     bool
		ok       bool
	}{
		{"storage", module + "/chat", false, false},
		{"storage", "context", false, true},
		{"whatsapp", module + "/storage", false, false},
		{"whatsapp", module + "/consent", false, false},
		{"whatsapp", module + "/chat", false, true},
		{"whatsapp", "golang.org/x/time/rate", false, true},
		{"whatsapp", "modernc.org/sqlite", false, false},
		{"consent", module + "/triage", false, false},
		{"consent", module + "/triage", true, false},
		{"triage", module + "/flow", false, false},
		{"flow", module + "/broadcast", false, false},
		{"broadcast", module + "/consent", false, false},
		{"consent", module + "/storage/memory", false, false},
		{"consent", module + "/storage/memory", true, true},
		{"consent", module + "/chat", false, true},
		{"chat", module + "/storage", false, true},
		{"chat", module + "/whatsapp", false, false},
		{"storage/sqlite", module + "/internal/seal", false, true},
		{"storage/sqlite", "github.com/jackc/pgx/v5", false, false},
		{"storage/storagetest", module + "/storage/memory", false, false},
		{"internal/redact", module + "/chat", false, false},
		{"internal/redact", module + "/storage", false, false},
		{"internal/sqlstore", module + "/storage", false, true},
		{"internal/sqlstore", module + "/chat", false, false},
		{"whatsapp/webhook", module + "/whatsapp", false, true},
		{"whatsapp/webhook/webhooktest", module + "/whatsapp/webhook", false, true},
		{"examples/helpline", module + "/consent", false, true},
		{"triage", "github.com/stretchr/testify/require", true, true},
		{"triage", "github.com/stretchr/testify/require", false, false},
	}
	for _, tt := range tests {
		name := path.Join(tt.pkg, "->", strings.TrimPrefix(tt.imp, module+"/"))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			why := check(tt.pkg, tt.imp, tt.test)
			if (why == "") != tt.ok {
				t.Fatalf("check(%q, %q, test=%v) = %q, want allowed=%v", tt.pkg, tt.imp, tt.test, why, tt.ok)
			}
		})
	}
}
