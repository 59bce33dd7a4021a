package whatsapp

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitText cuts s into parts of at most max characters (runes, never
// bytes), preferring to cut after the end of a sentence, then at a space,
// and only then inside a word, never between a letter and its combining
// marks. Latin, Arabic (؟ ۔), Devanagari (।) and CJK (。！？) sentence ends
// are recognised. Parts are trimmed of the spaces at the cut.
func SplitText(s string, max int) []string {
	if max < 1 {
		max = 1
	}
	var parts []string
	for utf8.RuneCountInString(s) > max {
		window := s[:runeOffset(s, max)]
		next, _ := utf8.DecodeRuneInString(s[len(window):])
		cut := sentenceCut(window)
		if unicode.IsSpace(next) {
			// The window ends at a space: a whole sentence or word fits.
			if last, _ := utf8.DecodeLastRuneInString(window); isSentenceEnd(last) {
				cut = len(window)
			}
		}
		if cut < len(window)/4 {
			cut = spaceCut(window)
			if unicode.IsSpace(next) {
				cut = len(window)
			}
		}
		if cut <= 0 {
			cut = letterCut(s, len(window))
		}
		if p := strings.TrimRightFunc(s[:cut], unicode.IsSpace); p != "" {
			parts = append(parts, p)
		}
		s = strings.TrimLeftFunc(s[cut:], unicode.IsSpace)
	}
	if s = strings.TrimRightFunc(s, unicode.IsSpace); s != "" {
		parts = append(parts, s)
	}
	return parts
}

// runeOffset returns the byte offset just after the first n runes of s.
func runeOffset(s string, n int) int {
	i := 0
	for k := range s {
		if i == n {
			return k
		}
		i++
	}
	return len(s)
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', '\n', '؟', '۔', '।', '。', '！', '？', '…':
		return true
	}
	return false
}

// sentenceCut returns the byte offset just after the last sentence end in w
// that is followed by a space (or a newline), or 0.
func sentenceCut(w string) int {
	for i := len(w); i > 0; {
		r, size := utf8.DecodeLastRuneInString(w[:i])
		i -= size
		if !unicode.IsSpace(r) {
			continue
		}
		if r == '\n' {
			return i + size
		}
		if i > 0 {
			prev, _ := utf8.DecodeLastRuneInString(w[:i])
			if isSentenceEnd(prev) {
				return i
			}
		}
	}
	// CJK full stops are not followed by spaces.
	for i := len(w); i > 0; {
		r, size := utf8.DecodeLastRuneInString(w[:i])
		if r == '。' || r == '！' || r == '？' {
			return i
		}
		i -= size
	}
	return 0
}

// spaceCut returns the byte offset of the last space in w, or 0.
func spaceCut(w string) int {
	return strings.LastIndexFunc(w, unicode.IsSpace)
}

// letterCut moves a hard cut at byte offset i of s back so it does not
// separate a letter from the combining marks or joiners that follow it.
func letterCut(s string, i int) int {
	for i > 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		if !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Me, r) && r != '\u200d' && r != '\ufe0f' {
			break
		}
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	if i == 0 { // a single letter with more marks than max: cut anyway
		_, size := utf8.DecodeRuneInString(s)
		return size
	}
	return i
}
