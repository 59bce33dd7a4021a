package consent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/impactchat/impactchat/consent"
)

func addSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseNotice: any input is either refused with a located error or
// gives a notice that fits WhatsApp's limits.
func FuzzParseNotice(f *testing.F) {
	addSeeds(f, "../examples/notices/*.yaml")
	addSeeds(f, "testdata/notices*/*.yaml")
	f.Add([]byte("language: en\nversion: x\nmaterial: true\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := consent.ParseNotice("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := n.Message().Validate(); err != nil {
			t.Fatalf("accepted notice does not validate: %v", err)
		}
		if len(n.Hash) != 64 {
			t.Fatalf("hash %q", n.Hash)
		}
		if utf8.RuneCountInString(n.Message().Body) > 1024 {
			t.Fatal("body over WhatsApp's limit")
		}
		if !n.Covers(n.Version) {
			t.Fatal("a notice does not cover its own version")
		}
	})
}

// FuzzParseKeywords: any input is refused with a located error or gives
// lists in which every word matches itself.
func FuzzParseKeywords(f *testing.F) {
	addSeeds(f, "keywords.yaml")
	f.Add([]byte("status: seed\nlanguages:\n  en:\n    withdraw: [STOP]\n    erase: [DELETE]\n    export: [MY DATA]\n"))
	f.Add([]byte("status: seed\nlanguages:\n  en: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := consent.ParseKeywords("k.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "k.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, l := range k.Languages() {
			for _, a := range []consent.Action{consent.ActionWithdraw, consent.ActionErase, consent.ActionExport} {
				ws := k.Words(l, a)
				if len(ws) == 0 {
					t.Fatalf("%s has no %s word", l, a)
				}
				for _, w := range ws {
					got, ok := k.Match(w)
					if !ok || got.Action != a {
						t.Fatalf("%q does not match itself as %s: %+v", w, a, got)
					}
				}
			}
		}
	})
}
