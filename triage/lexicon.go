package triage

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"github.com/impactchat/impactchat/internal/textnorm"
	"github.com/impactchat/impactchat/internal/yamlerr"
)

// MatchMode says how a lexicon entry matches a message. Both sides are
// compared as textnorm keys.
type MatchMode int

// The match modes.
const (
	// WholeMessage matches when the whole message is the entry: control
	// words such as STOP, where "stop he is hitting me" must not match.
	WholeMessage MatchMode = iota
	// Phrase matches the entry anywhere in the message on token
	// boundaries: "hitting me" matches "stop he is hitting me" but "hit"
	// does not match "white".
	Phrase
	// Fragment matches the entry anywhere, even inside a word: Arabic
	// proclitics attach to words ("والاغتصاب" holds "اغتصاب"), and scripts
	// without spaces have no token boundaries. At least 3 letters.
	Fragment
)

var modeNames = map[string]MatchMode{"whole": WholeMessage, "phrase": Phrase, "fragment": Fragment}

// String returns the name used in lexicon files.
func (m MatchMode) String() string {
	for n, v := range modeNames {
		if v == m {
			return n
		}
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Rule is one lexicon entry after loading. Its ID names it in logs, tickets
// and notifications; the matched text never appears there.
type Rule struct {
	ID       string // "<language>/<category>#<hash of the key>" unless the file names one
	Language string // BCP 47 tag, or "any"
	Category Category
	Priority Priority
	Queue    string
	Mode     MatchMode
	Key      string // the entry's textnorm key
	Seed     bool   // from a file whose status is seed: not yet reviewed by native speakers
	File     string
	Line     int
}

// Limits of what a lexicon may hold. Files are data written by people; a
// typo must not exhaust memory.
const (
	MaxLexiconFileBytes = 1 << 20
	MaxLexiconFiles     = 1_000
	MaxLexiconEntries   = 200_000
	MaxEntryBytes       = 400
	minFragmentRunes    = 3
)

// LexiconFormat is the version of the lexicon file format this code reads.
const LexiconFormat = 1

// A LexiconError says what is wrong in a lexicon file and where.
type LexiconError struct {
	File    string
	Line    int // 1-based; 0 when the problem is the whole file
	Problem string
}

// Error reads "file:line: problem".
func (e *LexiconError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Problem)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
}

// ErrLexicon is matched (with errors.Is) by every error from loading a
// lexicon.
var ErrLexicon = errors.New("triage: invalid lexicon")

// Is makes a LexiconError match ErrLexicon.
func (e *LexiconError) Is(target error) bool { return target == ErrLexicon }

//go:embed lexicons
var seedFiles embed.FS

// SeedLexicons returns the seed lexicon files shipped with the SDK: one
// YAML file per language and category in en, fr, es, pt, ar, fa, uk, ru and
// hi, plus language-neutral emoji. They are seeds: protection staff and
// native speakers must review them (every file says status: seed). Copy them
// into a directory to edit them and load that with LoadLexiconDir.
func SeedLexicons() fs.FS {
	sub, err := fs.Sub(seedFiles, "lexicons")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// LoadLexiconDir loads the lexicon files (*.yaml, *.yml) under dir.
func LoadLexiconDir(dir string) (*Lexicon, error) {
	return LoadLexicon(os.DirFS(dir))
}

// LoadLexicon loads every *.yaml and *.yml file in fsys (recursively),
// validates them all and builds one matcher. It reports every problem found,
// each as a *LexiconError naming the file and line, joined with errors.Join.
//
// A file looks like this:
//
//	format: 1
//	language: en
//	category: violence      # a known category, or any name with a priority
//	priority: urgent        # optional for known categories
//	queue: protection       # optional for known categories
//	mode: phrase            # whole, phrase or fragment; default phrase
//	status: seed            # seed or reviewed
//	entries:
//	  - hits me
//	  - text: beaten
//	    priority: elevated  # entries may override priority, mode, queue, id
func LoadLexicon(fsys fs.FS) (*Lexicon, error) {
	var (
		errs  []error
		rules []Rule
		files int
		sum   = sha256.New()
	)
	fmt.Fprintf(sum, "textnorm:%d\n", textnorm.Version)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != "." {
			// Hidden files and directories (.git, editor swap files) are
			// not lexicons.
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		if files++; files > MaxLexiconFiles {
			return &LexiconError{File: p, Problem: fmt.Sprintf("is file number %d; a lexicon may have at most %d files", files, MaxLexiconFiles)}
		}
		data, err := readLexiconFile(fsys, p)
		if err != nil {
			var le *LexiconError
			if errors.As(err, &le) {
				errs = append(errs, le)
				return nil
			}
			return err
		}
		fmt.Fprintf(sum, "%s\n%d\n", p, len(data))
		sum.Write(data)
		fr, ferrs := parseLexiconFile(p, data)
		errs = append(errs, ferrs...)
		rules = append(rules, fr...)
		if len(rules) > MaxLexiconEntries {
			return &LexiconError{File: p, Problem: fmt.Sprintf("brings the lexicon to more than %d entries", MaxLexiconEntries)}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(rules) == 0 {
		return nil, &LexiconError{File: ".", Problem: "holds no lexicon files (*.yaml) with entries"}
	}
	l := build(rules)
	l.version = hex.EncodeToString(sum.Sum(nil))[:16]
	return l, nil
}

// readLexiconFile reads p, reading at most one byte more than
// MaxLexiconFileBytes whatever size the file system reports.
func readLexiconFile(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxLexiconFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxLexiconFileBytes {
		return nil, &LexiconError{File: p, Problem: fmt.Sprintf("is more than %d bytes, the limit", MaxLexiconFileBytes)}
	}
	return data, nil
}

// LoadLexiconBytes loads a single lexicon file from memory; name is used in
// error messages. It is handy in tests and for lexicons kept in a database.
func LoadLexiconBytes(name string, data []byte) (*Lexicon, error) {
	if len(data) > MaxLexiconFileBytes {
		return nil, &LexiconError{File: name, Problem: fmt.Sprintf("is %d bytes; at most %d are allowed", len(data), MaxLexiconFileBytes)}
	}
	rules, errs := parseLexiconFile(name, data)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	l := build(rules)
	s := sha256.Sum256(data)
	l.version = hex.EncodeToString(s[:])[:16]
	return l, nil
}

var (
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	idRE   = regexp.MustCompile(`^[A-Za-z0-9_./#:-]{1,80}$`)
)

// fileHeader is what a file says about all of its entries.
type fileHeader struct {
	language string
	category Category
	priority Priority
	queue    string
	mode     MatchMode
	seed     bool
}

func parseLexiconFile(name string, data []byte) (rules []Rule, errs []error) {
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &LexiconError{File: name, Line: line, Problem: fmt.Sprintf(format, args...)})
	}
	defer func() {
		// The YAML decoder is outside code; a panic on hostile input must
		// not take the line down.
		if r := recover(); r != nil {
			rules = nil
			errs = []error{&LexiconError{File: name, Problem: "could not be parsed as YAML"}}
		}
	}()
	if !utf8.Valid(data) {
		fail(0, "is not UTF-8 text")
		return nil, errs
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		fail(yamlerr.Where(data, err, brokenYAML), "is not valid YAML: %s", yamlerr.Text(err))
		return nil, errs
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		fail(0, "is empty")
		return nil, errs
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		fail(root.Line, "must be a mapping with format, language, category, status and entries")
		return nil, errs
	}
	var (
		h                 fileHeader
		format            = -1
		priSet, catKnown  bool
		entries           *yaml.Node
		statusSeen, langS bool
		catLine           int
	)
	h.mode = Phrase
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if v.Kind != yaml.ScalarNode && k.Value != "entries" {
			fail(v.Line, "%s must be a single value", k.Value)
			continue
		}
		switch k.Value {
		case "format":
			n, err := strconv.Atoi(v.Value)
			if err != nil || n != LexiconFormat {
				fail(v.Line, "format %q is not supported; this version reads format %d", v.Value, LexiconFormat)
				continue
			}
			format = n
		case "language":
			langS = true
			if v.Value == "any" {
				h.language = "any"
				continue
			}
			tag, err := language.Parse(v.Value)
			if err != nil {
				fail(v.Line, "language %q is not a BCP 47 tag (e.g. en, ar, fa-AF) or any", v.Value)
				continue
			}
			h.language = tag.String()
		case "category":
			catLine = v.Line
			if !nameRE.MatchString(v.Value) {
				fail(v.Line, "category %q must be lower-case letters, digits and _, at most 40", v.Value)
				continue
			}
			h.category = Category(v.Value)
			if info, ok := categories[h.category]; ok {
				catKnown = true
				if !priSet {
					h.priority = info.priority
				}
				if h.queue == "" {
					h.queue = info.queue
				}
			}
		case "priority":
			p, err := ParsePriority(v.Value)
			if err != nil {
				fail(v.Line, "%v", err)
				continue
			}
			h.priority, priSet = p, true
		case "queue":
			if !nameRE.MatchString(v.Value) {
				fail(v.Line, "queue %q must be lower-case letters, digits and _, at most 40", v.Value)
				continue
			}
			h.queue = v.Value
		case "mode":
			m, ok := modeNames[v.Value]
			if !ok {
				fail(v.Line, "mode %q is not one of whole, phrase, fragment", v.Value)
				continue
			}
			h.mode = m
		case "status":
			statusSeen = true
			switch v.Value {
			case "seed":
				h.seed = true
			case "reviewed":
			default:
				fail(v.Line, "status %q is not seed or reviewed", v.Value)
			}
		case "note", "reviewed_by", "revision":
			// Free text for the people who maintain the file.
		case "entries":
			entries = v
		default:
			fail(k.Line, "unknown field %q (known: format, language, category, priority, queue, mode, status, revision, reviewed_by, note, entries)", k.Value)
		}
	}
	if format == -1 && !hasKey(root, "format") {
		fail(root.Line, "format is missing; write format: %d", LexiconFormat)
	}
	if !langS {
		fail(root.Line, "language is missing (a BCP 47 tag or any)")
	}
	if h.category == "" && catLine == 0 {
		fail(root.Line, "category is missing")
	}
	if h.category != "" && !catKnown && !priSet {
		fail(catLine, "category %q is not a known one, so the file must give a priority", h.category)
	}
	if h.category != "" && !catKnown && h.queue == "" && !h.category.Control() {
		h.queue = QueueGeneral
	}
	if !statusSeen {
		fail(root.Line, "status is missing: seed (not yet reviewed by native speakers) or reviewed")
	}
	if entries == nil {
		fail(root.Line, "entries is missing")
		return nil, errs
	}
	if entries.Kind != yaml.SequenceNode {
		fail(entries.Line, "entries must be a list")
		return nil, errs
	}
	if len(entries.Content) == 0 {
		fail(entries.Line, "entries is empty")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	seen := map[string]int{}
	for _, e := range entries.Content {
		r, ok := parseEntry(name, h, e, fail)
		if !ok {
			continue
		}
		dup := r.Mode.String() + "\x00" + r.Key
		if first, ok := seen[dup]; ok {
			fail(e.Line, "entry repeats the entry on line %d (same key %q after normalisation)", first, r.Key)
			continue
		}
		seen[dup] = e.Line
		rules = append(rules, r)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return rules, nil
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

func parseEntry(file string, h fileHeader, e *yaml.Node, fail func(int, string, ...any)) (Rule, bool) {
	r := Rule{Language: h.language, Category: h.category, Priority: h.priority, Queue: h.queue, Mode: h.mode, Seed: h.seed, File: file, Line: e.Line}
	var text, id string
	switch e.Kind {
	case yaml.ScalarNode:
		text = e.Value
	case yaml.MappingNode:
		for i := 0; i+1 < len(e.Content); i += 2 {
			k, v := e.Content[i], e.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				fail(v.Line, "entry %s must be a single value", k.Value)
				return r, false
			}
			switch k.Value {
			case "text":
				text = v.Value
			case "id":
				if !idRE.MatchString(v.Value) {
					fail(v.Line, "entry id %q must be 1 to 80 letters, digits or _ . / # : -", v.Value)
					return r, false
				}
				id = v.Value
			case "priority":
				p, err := ParsePriority(v.Value)
				if err != nil {
					fail(v.Line, "entry %v", err)
					return r, false
				}
				r.Priority = p
			case "mode":
				m, ok := modeNames[v.Value]
				if !ok {
					fail(v.Line, "entry mode %q is not one of whole, phrase, fragment", v.Value)
					return r, false
				}
				r.Mode = m
			case "queue":
				if !nameRE.MatchString(v.Value) {
					fail(v.Line, "entry queue %q must be lower-case letters, digits and _, at most 40", v.Value)
					return r, false
				}
				r.Queue = v.Value
			case "note":
			default:
				fail(k.Line, "unknown entry field %q (known: text, id, mode, priority, queue, note)", k.Value)
				return r, false
			}
		}
	default:
		fail(e.Line, "entry must be a text or a mapping with text")
		return r, false
	}
	if len(text) > MaxEntryBytes {
		fail(e.Line, "entry is %d bytes; at most %d are allowed", len(text), MaxEntryBytes)
		return r, false
	}
	r.Key = textnorm.Key(text)
	switch {
	case strings.TrimSpace(text) == "":
		fail(e.Line, "entry text is empty")
		return r, false
	case r.Key == "":
		fail(e.Line, "entry %q has no letters, digits or emoji left after normalisation", text)
		return r, false
	case r.Mode == Fragment && utf8.RuneCountInString(r.Key) < minFragmentRunes:
		fail(e.Line, "fragment entry %q is %d characters after normalisation; fragments need at least %d", text, utf8.RuneCountInString(r.Key), minFragmentRunes)
		return r, false
	}
	if id == "" {
		s := sha256.Sum256([]byte(r.Mode.String() + "\x00" + r.Key))
		id = r.Language + "/" + string(r.Category) + "#" + hex.EncodeToString(s[:4])
	}
	r.ID = id
	return r, true
}

// brokenYAML reports whether src is invalid YAML for a reason other than
// ending early.
func brokenYAML(src []byte) bool {
	var doc yaml.Node
	err := yaml.Unmarshal(src, &doc)
	return err != nil && !yamlerr.CutShort(err)
}

// Lexicon matches messages against every loaded entry in one pass over
// the message's key. It is immutable and safe for concurrent use; reload by
// loading a new one (see Lexicons).
type Lexicon struct {
	rules     []Rule
	whole     map[string][]int32
	ac        automaton
	version   string
	languages []string
	seed      bool
}

func build(rules []Rule) *Lexicon {
	l := &Lexicon{rules: rules, whole: map[string][]int32{}}
	var keys []string
	var ids []int32
	langs := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		langs[r.Language] = true
		l.seed = l.seed || r.Seed
		if r.Mode == WholeMessage {
			l.whole[r.Key] = append(l.whole[r.Key], int32(i))
			continue
		}
		keys = append(keys, r.Key)
		ids = append(ids, int32(i))
	}
	l.ac = buildAutomaton(keys, ids)
	for lang := range langs {
		l.languages = append(l.languages, lang)
	}
	slices.Sort(l.languages)
	return l
}

// Version is a fingerprint of the files (and the normaliser version) the
// lexicon was built from.
func (l *Lexicon) Version() string { return l.version }

// Languages lists the languages the lexicon has entries for.
func (l *Lexicon) Languages() []string { return slices.Clone(l.languages) }

// Len is the number of entries.
func (l *Lexicon) Len() int { return len(l.rules) }

// Seed reports whether any entry comes from a file not yet reviewed.
func (l *Lexicon) Seed() bool { return l.seed }

// Rules returns a copy of every entry, in load order.
func (l *Lexicon) Rules() []Rule { return slices.Clone(l.rules) }

// Lexicon returns l itself, so that a *Lexicon serves where a LexiconSource
// is wanted.
func (l *Lexicon) Lexicon() *Lexicon { return l }

// Match appends to dst the rules whose entries match text, each once, and
// returns the extended slice. Text is normalised with textnorm first.
func (l *Lexicon) Match(text string, dst []*Rule) []*Rule {
	var buf [512]byte
	key := textnorm.Append(buf[:0], text)
	return l.matchKey(key, dst)
}

// MatchKey is Match for a text already normalised with textnorm.Key.
func (l *Lexicon) MatchKey(key string, dst []*Rule) []*Rule {
	return l.matchKey([]byte(key), dst)
}

func (l *Lexicon) matchKey(key []byte, dst []*Rule) []*Rule {
	if len(key) == 0 {
		return dst
	}
	start := len(dst)
	dst = l.matchOnce(key, dst, start)
	// A message written in look-alike letters ("ЅТОР" in Cyrillic) is
	// matched again as the Latin text it imitates.
	var buf [256]byte
	if sk, ok := textnorm.AppendSkeleton(buf[:0], key); ok {
		dst = l.matchOnce(sk, dst, start)
	}
	return dst
}

// matchOnce appends the rules matching key that dst[start:] does not hold
// yet.
func (l *Lexicon) matchOnce(key []byte, dst []*Rule, start int) []*Rule {
	if ids, ok := l.whole[string(key)]; ok {
		for _, id := range ids {
			if r := &l.rules[id]; !slices.Contains(dst[start:], r) {
				dst = append(dst, r)
			}
		}
	}
	l.ac.scan(key, func(id int32, s, e int) {
		r := &l.rules[id]
		if r.Mode == Phrase && (s > 0 && key[s-1] != ' ' || e < len(key) && key[e] != ' ') {
			return
		}
		for _, have := range dst[start:] {
			if have == r {
				return
			}
		}
		dst = append(dst, r)
	})
	return dst
}

// LexiconSource gives the lexicon to use now. *Lexicon returns itself;
// *Lexicons returns the latest one loaded successfully.
type LexiconSource interface {
	Lexicon() *Lexicon
}
