package triage_test

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/internal/textnorm"
	"github.com/impactchat/impactchat/triage"
)

// benchLexicon is the seed lexicon plus generated phrases up to n entries
// across eight languages, in each language's own script.
func benchLexicon(b *testing.B, n int) *triage.Lexicon {
	b.Helper()
	alphabets := map[string][]rune{
		"en": []rune("abcdefghijklmnopqrstuvwxyz"),
		"fr": []rune("abcdefghijlmnopqrstuvéèàç"),
		"es": []rune("abcdefghijlmnopqrstuvñáéó"),
		"pt": []rune("abcdefghijlmnopqrstuvãçéó"),
		"ar": []rune("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
		"fa": []rune("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"),
		"uk": []rune("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"),
		"ru": []rune("абвгдежзийклмнопрстуфхцчшщъыьэюя"),
	}
	langs := []string{"en", "fr", "es", "pt", "ar", "fa", "uk", "ru"}
	fsys := fstest.MapFS{}
	seedFS := triage.SeedLexicons()
	seed, err := triage.LoadLexicon(seedFS)
	if err != nil {
		b.Fatal(err)
	}
	remaining := n - seed.Len()
	rng := rand.New(rand.NewPCG(7, 7))
	word := func(lang string) string {
		a := alphabets[lang]
		r := make([]rune, 3+rng.IntN(6))
		for i := range r {
			r[i] = a[rng.IntN(len(a))]
		}
		return string(r)
	}
	for i, lang := range langs {
		var sb strings.Builder
		fmt.Fprintf(&sb, "format: 1\nlanguage: %s\ncategory: violence\nstatus: seed\nentries:\n", lang)
		count := remaining / len(langs)
		if i == 0 {
			count += remaining % len(langs)
		}
		seen := map[string]bool{}
		for len(seen) < count {
			p := word(lang)
			if rng.IntN(2) == 0 {
				p += " " + word(lang)
			}
			mode := "phrase"
			if (lang == "ar" || lang == "fa") && rng.IntN(2) == 0 {
				mode = "fragment"
			}
			if k := mode + textnorm.Key(p); seen[k] {
				continue
			} else {
				seen[k] = true
			}
			fmt.Fprintf(&sb, "  - text: %q\n    mode: %s\n", p, mode)
		}
		fsys["bench/"+lang+".yaml"] = &fstest.MapFile{Data: []byte(sb.String())}
	}
	err = fs.WalkDir(seedFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(seedFS, p)
		fsys["seeds/"+p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	lex, err := triage.LoadLexicon(fsys)
	if err != nil {
		b.Fatal(err)
	}
	if lex.Len() != n {
		b.Fatalf("lexicon has %d entries, want %d", lex.Len(), n)
	}
	return lex
}

// Typical messages of about 60 characters, mostly routine, in the eight
// languages.
var benchMessages = []string{
	"Hello, can you tell me where the office in Quito is please?",
	"Bonjour, où se trouve le bureau du HCR à Montréal ? Merci !",
	"Hola, ¿cuándo abre la oficina para renovar mi documento?",
	"Olá, preciso de ajuda com o meu pedido de refúgio, obrigado",
	"مرحبا، أين يقع مكتب المفوضية في عمّان؟ شكراً جزيلاً لكم",
	"سلام، دفتر کمیساریا در کابل کجاست و ساعت کاری آن چیست؟",
	"Добрий день, де знаходиться офіс у Києві? Дякую вам!",
	"Здравствуйте, как получить справку о статусе беженца?",
	"my husband beats me and took my passport, please help me",
}

func BenchmarkScreenDetect(b *testing.B) {
	lex := benchLexicon(b, 5000)
	f := newFixture(b, friday10)
	s, err := triage.NewScreen(triage.ScreenConfig{Lexicon: lex, Queue: f.queue, Replies: testReplies})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]*chat.Message, len(benchMessages))
	total := 0
	for i, t := range benchMessages {
		msgs[i] = &chat.Message{ID: "m", From: person("1"), Kind: chat.KindText, Text: t}
		total += len([]rune(t))
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		_ = s.Detect(msgs[i%len(msgs)])
		i++
	}
	reportRate(b, i, cpuTime()-cpu)
	b.ReportMetric(float64(total)/float64(len(msgs)), "chars/msg")
}

func BenchmarkLexiconMatch(b *testing.B) {
	lex := benchLexicon(b, 5000)
	buf := make([]*triage.Rule, 0, 8)
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		buf = lex.Match(benchMessages[i%len(benchMessages)], buf[:0])
		i++
	}
	reportRate(b, i, cpuTime()-cpu)
}

// BenchmarkScreenHandle is the whole middleware for routine messages on the
// in-memory store: detection, the lookup of the conversation's ticket and
// the decision handed on.
func BenchmarkScreenHandle(b *testing.B) {
	lex := benchLexicon(b, 5000)
	f := newFixture(b, friday10)
	s, err := triage.NewScreen(triage.ScreenConfig{Lexicon: lex, Queue: f.queue, Replies: testReplies})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Middleware(chat.HandlerFunc(func(context.Context, chat.Replier, *chat.Message) error { return nil }))
	var msgs []*chat.Message
	for i, t := range benchMessages[:len(benchMessages)-1] {
		msgs = append(msgs, &chat.Message{ID: "m", From: person(fmt.Sprint(i)), Kind: chat.KindText, Text: t})
	}
	r := f.phone.replier(person("0"))
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		if err := h.Handle(ctx, r, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRate(b, i, cpuTime()-cpu)
}

// reportRate reports messages per second of wall time and per second of
// CPU time used by the process (which, for a benchmark on one goroutine
// that allocates little, is its rate per core even on a loaded machine).
func reportRate(b *testing.B, n int, cpu time.Duration) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	if cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), "msgs/cpu-s")
	}
}
