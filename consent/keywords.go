package consent

import (
	_ "embed"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/impactchat/impactchat/internal/textnorm"
)

// Action is what a control word asks for.
type Action string

// Actions of control words. Withdraw, erase, export and receipt work at any
// time; accept, decline, audio and language only answer a notice.
const (
	ActionWithdraw Action = "withdraw" // STOP: withdraw every purpose
	ActionErase    Action = "erase"    // DELETE: withdraw and erase
	ActionExport   Action = "export"   // MY DATA: ask for a copy
	ActionReceipt  Action = "receipt"  // the short consent receipt
	ActionAccept   Action = "accept"   // answer a notice: yes
	ActionDecline  Action = "decline"  // answer a notice: no
	ActionAudio    Action = "audio"    // hear the notice
	ActionLanguage Action = "language" // show the notice in this language
)

var actions = []Action{ActionWithdraw, ActionErase, ActionExport, ActionReceipt, ActionAccept, ActionDecline, ActionAudio, ActionLanguage}

// requiredActions must have at least one word in every language.
var requiredActions = []Action{ActionWithdraw, ActionErase, ActionExport}

const maxWord = 64

// Keyword is a control word that matched.
type Keyword struct {
	Action Action
	// Word is the entry of the list that matched, as written in the file
	// (not the person's text).
	Word string
	// Languages are the languages the word is listed in, sorted; "STOP"
	// is English and French.
	Languages []string
}

// Keywords are the control words of a line, per language. A message matches
// only when all of it, normalised by textnorm.Key, equals a word.
type Keywords struct {
	byKey  map[string]*Keyword
	words  map[string]map[Action][]string // language → action → words in file order
	seed   bool
	source string
}

//go:embed keywords.yaml
var defaultKeywords []byte

// DefaultKeywords returns the seed lists shipped with the package, for en,
// fr, es, pt, ar, fa, prs, uk and sw. They are seeds: native speakers and the
// communities served must review them before a line relies on them (Seed
// reports true until the file says otherwise). Keywords are immutable, so
// the value is shared.
func DefaultKeywords() *Keywords { return defaultOnce() }

var defaultOnce = sync.OnceValue(func() *Keywords {
	k, err := ParseKeywords("keywords.yaml", defaultKeywords)
	if err != nil {
		panic("consent: the embedded keyword list is invalid: " + err.Error())
	}
	return k
})

// LoadKeywords loads a keyword file.
func LoadKeywords(file string) (*Keywords, error) {
	return LoadKeywordsFS(os.DirFS("."), file)
}

// LoadKeywordsFS loads a keyword file from a file system. A file larger
// than 256 KiB is refused.
func LoadKeywordsFS(fsys fs.FS, file string) (*Keywords, error) {
	data, err := readFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("consent: load keywords: %w", err)
	}
	return ParseKeywords(file, data)
}

type rawKeywords struct {
	Status    string                 `yaml:"status"`
	Languages map[string]rawLanguage `yaml:"languages"`
}

type rawLanguage struct {
	ReviewedBy string   `yaml:"reviewed_by"`
	Withdraw   []string `yaml:"withdraw"`
	Erase      []string `yaml:"erase"`
	Export     []string `yaml:"export"`
	Receipt    []string `yaml:"receipt"`
	Accept     []string `yaml:"accept"`
	Decline    []string `yaml:"decline"`
	Audio      []string `yaml:"audio"`
	Language   []string `yaml:"language"`
}

func (r rawLanguage) list(a Action) []string {
	switch a {
	case ActionWithdraw:
		return r.Withdraw
	case ActionErase:
		return r.Erase
	case ActionExport:
		return r.Export
	case ActionReceipt:
		return r.Receipt
	case ActionAccept:
		return r.Accept
	case ActionDecline:
		return r.Decline
	case ActionAudio:
		return r.Audio
	case ActionLanguage:
		return r.Language
	}
	return nil
}

// ParseKeywords parses a keyword file. name is used in errors only.
func ParseKeywords(name string, data []byte) (*Keywords, error) {
	var raw rawKeywords
	doc, err := decodeYAML(name, data, &raw)
	if err != nil {
		return nil, err
	}
	k := &Keywords{byKey: map[string]*Keyword{}, words: map[string]map[Action][]string{}, source: name}
	switch raw.Status {
	case "seed":
		k.seed = true
	case "reviewed":
	default:
		return nil, doc.fail(fmt.Sprintf("is %q; want seed or reviewed", raw.Status), "status")
	}
	if len(raw.Languages) == 0 {
		return nil, doc.fail("is empty", "languages")
	}
	langs := make([]string, 0, len(raw.Languages))
	for l := range raw.Languages {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	where := map[string][]string{} // key → path of its first entry, for errors
	for _, lang := range langs {
		if !langRE.MatchString(lang) {
			return nil, doc.fail(fmt.Sprintf("%q is not a BCP 47 tag", lang), "languages", lang)
		}
		rl := raw.Languages[lang]
		k.words[lang] = map[Action][]string{}
		for _, a := range actions {
			for i, w := range rl.list(a) {
				at := []string{"languages", lang, string(a), "[" + strconv.Itoa(i) + "]"}
				if n := utf8.RuneCountInString(w); n > maxWord {
					return nil, doc.fail(fmt.Sprintf("is %d characters; the limit is %d", n, maxWord), at...)
				}
				key := textnorm.Key(w)
				if key == "" {
					return nil, doc.fail("is empty once normalised", at...)
				}
				if prev, ok := k.byKey[key]; ok {
					if prev.Action != a || (a == ActionLanguage && !slices.Contains(prev.Languages, lang)) {
						first := where[key]
						return nil, doc.fail(fmt.Sprintf("%q reads the same as %q (%s, line %d) but means %s in %s",
							w, prev.Word, fieldPath(first), doc.line(first...), a, lang), at...)
					}
					if !slices.Contains(prev.Languages, lang) {
						prev.Languages = append(prev.Languages, lang)
					}
				} else {
					k.byKey[key] = &Keyword{Action: a, Word: w, Languages: []string{lang}}
					where[key] = at
				}
				k.words[lang][a] = append(k.words[lang][a], w)
			}
		}
		for _, a := range requiredActions {
			if len(k.words[lang][a]) == 0 {
				return nil, doc.fail(fmt.Sprintf("has no %s words; every language needs withdraw, erase and export", a), "languages", lang)
			}
		}
	}
	return k, nil
}

// Match returns the control word that the whole of text is, if any.
func (k *Keywords) Match(text string) (Keyword, bool) {
	if k == nil || len(text) > 1024 {
		return Keyword{}, false
	}
	kw, ok := k.byKey[textnorm.Key(text)]
	if !ok {
		return Keyword{}, false
	}
	return *kw, true
}

// Words returns the words for action a in language lang, in file order.
func (k *Keywords) Words(lang string, a Action) []string {
	return slices.Clone(k.words[lang][a])
}

// Languages returns the languages with keywords, sorted.
func (k *Keywords) Languages() []string {
	out := make([]string, 0, len(k.words))
	for l := range k.words {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// Seed reports whether the lists are unreviewed seeds.
func (k *Keywords) Seed() bool { return k.seed }
