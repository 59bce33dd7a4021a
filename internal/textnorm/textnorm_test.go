package textnorm_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/impactchat/impactchat/internal/textnorm"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt with the current keys")

// The outputs verified when the pipeline was specified; they must never
// change without a new Version.
var verified = []struct{ in, want string }{
	{"  Stop!!! ", "stop"},
	{"ＳＴＯＰ", "stop"},
	{"ARRÊT", "arret"},
	{"ARRE\u0302T", "arret"},
	{"Straße", "strasse"},
	{"تَوَقَّفْ", "توقف"},
	{"تـــوقـف", "توقف"},
	{"إلغاء", "الغاء"},
	{"أوقف", "اوقف"},
	{"مساعدة", "مساعده"},
	{"\uFEE3\uFEB4\uFE8E\uFECC\uFEAA\uFE93", "مساعده"},
	{"کمک", "كمك"},
	{"نه\u200cمی\u200cخواهم", "نهميخواهم"},
	{"١٢٣", "123"},
	{"۱۲۳", "123"},
	{"💊💊", "💊 💊"},
	{"दुख", "दुख"},
	{"Й", "й"},
	{"ЇЖАК", "їжак"},
	{"ЁЛКА", "елка"},
	// Version 2: a zero-width space separates words, but not between
	// letters of scripts written without spaces; ʼ is an apostrophe.
	{"he\u200bhits\u200bme", "he hits me"},
	{"يضرب\u200bني", "يضرب ني"},
	{"ฆ่า\u200bตัว\u200bตาย", "ฆ่าตัวตาย"},
	{"ထိ\u200bခိုက်", "ထိခိုက်"},
	{"ฆ่า\u200bme", "ฆ่า me"},
	{"\u200bstop\u200b", "stop"},
	{"бʼє", "б є"},
	{"don\u02BCt", "don t"},
}

func TestVerifiedOutputs(t *testing.T) {
	t.Parallel()
	for _, c := range verified {
		t.Run(c.in, func(t *testing.T) {
			t.Parallel()
			if got := textnorm.Key(c.in); got != c.want {
				t.Errorf("Key(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

type golden struct {
	lang, in, want string
}

func readGolden(t *testing.T) []golden {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []golden
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		parts := strings.Split(text, "\t")
		if len(parts) != 3 {
			t.Fatalf("golden.txt:%d: want 3 tab-separated fields, got %d", line, len(parts))
		}
		in, err1 := strconv.Unquote(parts[1])
		want, err2 := strconv.Unquote(parts[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("golden.txt:%d: fields 2 and 3 must be Go-quoted strings", line)
		}
		out = append(out, golden{parts[0], in, want})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGolden checks keys in every language the lines serve. Run with
// -update to rewrite the expected keys after a deliberate change (and bump
// Version).
func TestGolden(t *testing.T) {
	t.Parallel()
	cases := readGolden(t)
	langs := map[string]int{}
	for _, c := range cases {
		langs[c.lang]++
	}
	for _, l := range []string{"en", "fr", "es", "pt", "ar", "fa", "uk", "ru", "hi", "emoji"} {
		if langs[l] < 3 {
			t.Errorf("golden.txt has %d cases for %s; want at least 3", langs[l], l)
		}
	}
	if *update {
		var b strings.Builder
		b.WriteString("# language\tinput\tkey (Go-quoted; rewrite with go test -update)\n")
		for _, c := range cases {
			fmt.Fprintf(&b, "%s\t%q\t%q\n", c.lang, c.in, textnorm.Key(c.in))
		}
		if err := os.WriteFile(filepath.Join("testdata", "golden.txt"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, c := range cases {
		if got := textnorm.Key(c.in); got != c.want {
			t.Errorf("%s: Key(%q) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
}

func TestIdempotentAndAppend(t *testing.T) {
	t.Parallel()
	var ins []string
	for _, c := range verified {
		ins = append(ins, c.in)
	}
	for _, c := range readGolden(t) {
		ins = append(ins, c.in)
	}
	for _, in := range ins {
		k := textnorm.Key(in)
		if again := textnorm.Key(k); again != k {
			t.Errorf("Key not idempotent on %q: %q then %q", in, k, again)
		}
		if full := string(textnorm.AppendFull(nil, in)); full != k {
			t.Errorf("Key(%q) = %q, the full pipeline gives %q", in, k, full)
		}
		if got := string(textnorm.Append([]byte("x"), in)); got != "x"+k {
			t.Errorf("Append(%q) = %q, want %q", in, got, "x"+k)
		}
	}
}

func FuzzKey(f *testing.F) {
	for _, c := range verified {
		f.Add(c.in)
	}
	f.Add("stop he is hitting me")
	f.Add("\xff\xfe bad utf8")
	f.Add("e\u200c\u0301 \u0301x")
	f.Fuzz(func(t *testing.T, s string) {
		k := textnorm.Key(s)
		if !utf8.ValidString(k) {
			t.Fatalf("Key(%q) = %q is not valid UTF-8", s, k)
		}
		if strings.HasPrefix(k, " ") || strings.HasSuffix(k, " ") || strings.Contains(k, "  ") {
			t.Fatalf("Key(%q) = %q has stray spaces", s, k)
		}
		if again := textnorm.Key(k); again != k {
			t.Fatalf("Key not idempotent on %q: %q then %q", s, k, again)
		}
		if a := string(textnorm.Append(nil, s)); a != k {
			t.Fatalf("Append(%q) = %q, Key = %q", s, a, k)
		}
		if full := string(textnorm.AppendFull(nil, s)); full != k {
			t.Fatalf("Key(%q) = %q, the full pipeline gives %q", s, k, full)
		}
		if sk, ok := textnorm.Skeleton(k); ok {
			// Word for word: a word is kept, or spelled in ASCII.
			kw, sw := strings.Split(k, " "), strings.Split(sk, " ")
			if len(kw) != len(sw) {
				t.Fatalf("Skeleton(%q) = %q has other words", k, sk)
			}
			for i := range kw {
				if sw[i] == kw[i] {
					continue
				}
				for j := 0; j < len(sw[i]); j++ {
					if sw[i][j] >= utf8.RuneSelf {
						t.Fatalf("Skeleton(%q) = %q: word %q is neither kept nor ASCII", k, sk, sw[i])
					}
				}
			}
		}
	})
}

func ExampleKey() {
	fmt.Println(textnorm.Key("  Stop!!! "))
	fmt.Println(textnorm.Key("ARRÊT"))
	fmt.Println(textnorm.Key("تـــوقّف"))
	fmt.Println(textnorm.Key("ЇЖАК"))
	fmt.Println(textnorm.Key("help💊💊"))
	// Output:
	// stop
	// arret
	// توقف
	// їжак
	// help 💊 💊
}

var sink []byte

func BenchmarkAppend(b *testing.B) {
	msgs := map[string]string{
		"ascii":  "Hello, can you tell me where the office in Quito is please?",
		"french": "Bonjour, où se trouve le bureau du HCR à Montréal ? Merci !",
		"arabic": "مرحبا، أين يقع مكتب المفوضية في عمّان؟ شكراً جزيلاً لكم",
		"uk":     "Добрий день, де знаходиться офіс у Києві? Дякую вам!",
	}
	for name, m := range msgs {
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(m)))
			for b.Loop() {
				buf = textnorm.Append(buf[:0], m)
			}
			sink = buf
		})
	}
}

func TestSkeleton(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ЅТОР", "stop", true},   // Cyrillic Ѕ Т О Р
		{"UΝHCR", "unhcr", true}, // Greek Ν
		{"stop", "stop", false},  // plain Latin is not an imitation
		{"стоп", "", false},      // Russian for stop: п has no Latin twin
		{"допомога", "", false},  // an ordinary Ukrainian word
		{"توقف", "", false},      // Arabic
		// A forged word beside an emoji or another language's word: the
		// forged word is spelled in Latin, the rest kept.
		{"I want to kіll myself 😭", "i want to kill myself 😭", true},
		{"kіll допомога", "kill допомога", true},
		{"kіll пока", "kill пока", true}, // п has no twin: only the mixed word is mapped
	}
	for _, tt := range tests {
		got, ok := textnorm.Skeleton(textnorm.Key(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Skeleton(Key(%q)) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
