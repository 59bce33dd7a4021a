package textnorm

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Version identifies the normalisation rules. Keys made with different
// versions must not be compared.
const Version = 2

// Key returns the matching key of s. Key is idempotent: Key(Key(s)) ==
// Key(s).
func Key(s string) string {
	if isASCII(s) {
		if asciiKeyed(s) {
			return s
		}
		var buf [128]byte
		return string(appendASCII(buf[:0], s))
	}
	var buf [256]byte
	return string(Append(buf[:0], s))
}

// Append appends the key of s to dst and returns the extended slice. It
// allocates nothing once dst has room, which suits hot paths that key every
// message.
func Append(dst []byte, s string) []byte {
	if isASCII(s) {
		return appendASCII(dst, s)
	}
	if out, ok := appendSimple(dst, s); ok {
		return out
	}
	return appendFull(dst, s)
}

// appendFull runs the whole pipeline.
func appendFull(dst []byte, s string) []byte {
	w := pool.Get().(*worker)
	defer pool.Put(w)
	return w.appendKey(dst, s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// asciiKeyed reports whether the ASCII string s is already a key, so Key can
// return it without copying.
func asciiKeyed(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if s[i-1] == ' ' {
				return false
			}
			continue
		}
		if !asciiWord(c) {
			return false
		}
	}
	return true
}

// appendASCII is the whole pipeline for ASCII input, where NFKC and the
// mark rules have nothing to do.
func appendASCII(dst []byte, s string) []byte {
	start := len(dst)
	pending := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !asciiWord(c) {
			pending = true
			continue
		}
		if pending && len(dst) > start {
			dst = append(dst, ' ')
		}
		pending = false
		dst = append(dst, c)
	}
	return dst
}

// worker holds the buffers and the (stateful) case folder of one key
// computation; workers are pooled.
type worker struct {
	fold   cases.Caser
	a, b   []byte
	stripd []byte
}

var pool = sync.Pool{New: func() any { return &worker{fold: cases.Fold()} }}

func (w *worker) appendKey(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		// Bytes that are not UTF-8 separate words; the normalisation tables
		// would otherwise copy them through and skip the runes after them.
		s = strings.ToValidUTF8(s, " ")
	}
	w.a = norm.NFKC.AppendString(w.a[:0], s)
	var err error
	w.b, _, err = transform.Append(w.fold, w.b[:0], w.a)
	if err != nil {
		// Folding fails only on malformed state; fall back to the NFKC text
		// so the key is still deterministic.
		w.b = append(w.b[:0], w.a...)
	}
	w.a = norm.NFD.Append(w.a[:0], w.b...)
	w.stripd = strip(w.stripd[:0], w.a)
	w.b = norm.NFC.Append(w.b[:0], w.stripd...)
	return tokens(dst, w.b)
}

// strip drops format characters everywhere, and combining marks that sit on
// a Latin, Greek or Arabic letter or on no letter at all. Input is NFD.
func strip(dst, src []byte) []byte {
	letter, removable, spaceless := false, false, false
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		i += n
		if r == zwsp {
			// A zero-width space marks a word boundary: it separates,
			// except between letters of scripts written without spaces,
			// where it only says where a line may break.
			if next, _ := utf8.DecodeRune(src[i:]); !(spaceless && unicode.IsLetter(next) && isSpaceless(next)) {
				dst = append(dst, ' ')
				letter, removable, spaceless = false, false, false
			}
			continue
		}
		if r == 0x02BC {
			// The modifier letter apostrophe (Ukrainian's) is an
			// apostrophe: it separates, and no mark sits on it.
			dst = append(dst, '\'')
			letter, removable, spaceless = false, false, false
			continue
		}
		if isFormat(r) {
			continue
		}
		if unicode.In(r, unicode.Mn, unicode.Me) {
			if !letter || removable || unicode.Is(unicode.Me, r) {
				continue
			}
			dst = utf8.AppendRune(dst, r)
			continue
		}
		if unicode.Is(unicode.Mc, r) {
			// A spacing vowel sign belongs to the letter before it.
			dst = utf8.AppendRune(dst, r)
			continue
		}
		if r == 0x06D5 {
			if next, _ := utf8.DecodeRune(src[i:]); next == 0x0654 {
				// Persian heh with yeh (U+06C0, "ۀ"), decomposed: heh
				// with a hamza, typed also as ه + ٔ, not the ae (ە) of
				// Kurdish and Uyghur that it decomposes to.
				r = 0x0647
			}
		}
		letter = unicode.IsLetter(r)
		removable = letter && unicode.In(r, unicode.Latin, unicode.Greek, unicode.Arabic)
		spaceless = letter && isSpaceless(r)
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// zwsp is the zero-width space, U+200B.
const zwsp = 0x200B

// isSpaceless reports the letters of scripts written without spaces
// between words, where a zero-width space is only a line-break hint.
func isSpaceless(r rune) bool {
	return unicode.In(r, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan,
		unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Javanese, unicode.Balinese)
}

// isFormat reports the characters that change how text looks but not what
// it says.
func isFormat(r rune) bool {
	switch {
	case r == 0x0640: // tatweel
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // skin-tone modifiers
		return true
	}
	return unicode.Is(unicode.Cf, r) // ZWJ, ZWNJ, LRM, RLM, ALM, BOM, soft hyphen, bidi controls, tags
}

// tokens folds letter and digit variants and writes the tokens of src (NFC)
// to dst, one space apart.
func tokens(dst, src []byte) []byte {
	start := len(dst)
	pending := false
	sep := func() {
		if len(dst) > start {
			pending = true
		}
	}
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		i += n
		r = variant(r)
		switch {
		case r < utf8.RuneSelf:
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			if !asciiWord(byte(r)) {
				sep()
				continue
			}
		case isEmoji(r):
			sep()
			if pending {
				dst = append(dst, ' ')
				pending = false
			}
			dst = utf8.AppendRune(dst, r)
			sep()
			continue
		case unicode.IsDigit(r):
			r = '0' + digitValue(r)
		case unicode.In(r, unicode.L, unicode.M, unicode.N):
		default:
			sep()
			continue
		}
		if pending {
			dst = append(dst, ' ')
			pending = false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// variant folds the letter variants that people type interchangeably.
func variant(r rune) rune {
	switch r {
	case 'ٱ': // alef wasla
		return 'ا'
	case 'ى', 'ی': // alef maksura, Farsi yeh
		return 'ي'
	case 'ک': // keheh
		return 'ك'
	case 'ة': // teh marbuta
		return 'ه'
	case 'ё':
		return 'е'
	}
	// Cherokee folds to its capital letters; settle both cases there so that
	// keys stay stable.
	switch {
	case r >= 0xAB70 && r <= 0xABBF:
		return r - 0xAB70 + 0x13A0
	case r >= 0x13F8 && r <= 0x13FD:
		return r - 0x13F8 + 0x13F0
	}
	return r
}

// digitValue returns the value of a decimal digit of any script. Unicode
// keeps every script's digits in contiguous runs of ten starting at zero.
func digitValue(r rune) rune {
	first := r
	for unicode.IsDigit(first - 1) {
		first--
	}
	return (r - first) % 10
}

// isEmoji reports pictographic symbols, which become tokens of their own.
func isEmoji(r rune) bool {
	if !unicode.Is(unicode.So, r) {
		return false
	}
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF:
		return true
	case r >= 0x2190 && r <= 0x24FF, r >= 0x25A0 && r <= 0x2BFF:
		return true
	case r == 0x00A9, r == 0x00AE, r == 0x3030, r == 0x303D, r == 0x3297, r == 0x3299:
		return true
	}
	return false
}

// Most text needs none of the pipeline's cross-character work: no combining
// marks, nothing that composes with its neighbour. For such text the key is
// the concatenation of each rune's own key, which a table remembers. The
// table is filled lazily, one rune at a time, from the full pipeline, so the
// two paths cannot disagree.

// Classes of a rune in the table.
const (
	clUnknown  uint32 = iota
	clWord            // a letter or digit: emit the mapped rune
	clSep             // punctuation, symbol, space: separates tokens
	clDrop            // a format character: vanishes without separating
	clEmoji           // a token of its own
	clComplex         // needs the full pipeline
	clWordKeep        // a letter of a script whose combining marks are kept
	clMark            // an accent or haraka that vanishes unless its letter keeps marks
)

var runeTable [0x10000]atomic.Uint32

func entry(r rune) (class uint32, out rune) {
	if r < 0x10000 {
		if e := runeTable[r].Load(); e != 0 {
			return e >> 24, rune(e & 0xFFFFFF)
		}
	}
	class, out = classify(r)
	if r < 0x10000 {
		runeTable[r].Store(class<<24 | uint32(out))
	}
	return class, out
}

// classify computes the table entry of r from the full pipeline.
func classify(r rune) (uint32, rune) {
	var b [utf8.UTFMax]byte
	one := b[:utf8.EncodeRune(b[:], r)]
	if r == zwsp {
		return clComplex, 0 // separates or not by the letters beside it
	}
	if unicode.Is(unicode.M, r) {
		// Whether a mark stays depends on the letter before it; the common
		// Latin accents and Arabic harakat are handled here, others by the
		// full pipeline.
		if r >= 0x0300 && r <= 0x036F && r != 0x0345 || r >= 0x064B && r <= 0x065F || r == 0x0670 {
			return clMark, 0
		}
		return clComplex, 0
	}
	for _, f := range []norm.Form{norm.NFKC, norm.NFC, norm.NFD} {
		if !f.Properties(one).BoundaryBefore() {
			return clComplex, 0
		}
	}
	if isFormat(r) {
		return clDrop, 0
	}
	// Key the rune between two letters, so that what it becomes next to
	// other text shows: Ŀ is l followed by a middle dot, which separates.
	key := string(appendFull(nil, "a"+string(one)+"a"))
	switch {
	case key == "aa":
		return clDrop, 0 // vanishes without separating
	case key == "a a":
		return clSep, 0
	}
	inner, ok := strings.CutPrefix(key, "a")
	if !ok {
		return clComplex, 0
	}
	if inner, ok = strings.CutSuffix(inner, "a"); !ok {
		return clComplex, 0
	}
	if e, ok := strings.CutPrefix(inner, " "); ok {
		if e, ok = strings.CutSuffix(e, " "); ok {
			if out, n := utf8.DecodeRuneInString(e); n == len(e) && isEmoji(out) {
				return clEmoji, out
			}
		}
		return clComplex, 0
	}
	out, n := utf8.DecodeRuneInString(inner)
	if n != len(inner) || n == 0 || out == ' ' {
		return clComplex, 0
	}
	lga := func(r rune) bool { return unicode.In(r, unicode.Latin, unicode.Greek, unicode.Arabic) }
	if unicode.IsLetter(out) && !(lga(r) && lga(out)) {
		return clWordKeep, out
	}
	return clWord, out
}

// appendSimple keys s rune by rune from the table. It reports false, having
// written nothing that counts, when s needs the full pipeline.
func appendSimple(dst []byte, s string) ([]byte, bool) {
	start := len(dst)
	pending := false
	keep := false // the last letter keeps its marks
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			keep = false
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if !asciiWord(c) {
				pending = true
				continue
			}
			if pending && len(dst) > start {
				dst = append(dst, ' ')
			}
			pending = false
			dst = append(dst, c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n == 1 {
			pending = true
			continue
		}
		class, out := entry(r)
		switch class {
		case clDrop:
			continue
		case clMark:
			if keep {
				return dst[:start], false
			}
			continue
		}
		keep = class == clWordKeep
		switch class {
		case clSep:
			pending = true
			continue
		case clEmoji:
			if len(dst) > start {
				dst = append(dst, ' ')
			}
			dst = utf8.AppendRune(dst, out)
			pending = true
			continue
		case clWord, clWordKeep:
			if pending && len(dst) > start {
				dst = append(dst, ' ')
			}
			pending = false
			dst = utf8.AppendRune(dst, out)
		default:
			return dst[:start], false
		}
	}
	return dst, true
}
