package textnorm

import (
	"unicode/utf8"
)

// confusables maps Cyrillic and Greek letters (as they are after Key, in
// lower case) to the Latin letters they look like in upper or lower case.
// It is the part of Unicode's confusables (UTS #39) that matters for
// keywords typed or forged in look-alike letters: "ЅТОР" in Cyrillic, or an
// organisation's name with a Greek Ν.
var confusables = map[rune]byte{
	// Cyrillic
	'а': 'a', 'в': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'һ': 'h', 'н': 'h', 'і': 'i', 'ј': 'j',
	'к': 'k', 'ӏ': 'l', 'м': 'm', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'ѕ': 's', 'т': 't', 'у': 'y',
	'ԝ': 'w', 'х': 'x', 'ӡ': 'z',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'h', 'ι': 'i', 'κ': 'k', 'μ': 'm', 'ν': 'n', 'ο': 'o',
	'ρ': 'p', 'τ': 't', 'υ': 'y', 'χ': 'x', 'ζ': 'z',
}

// Skeleton returns the Latin spelling that key (a Key) imitates, and
// whether key is such an imitation. A key whose letters outside ASCII are
// all look-alike Cyrillic or Greek ones ("ЅТОР") is mapped whole. Otherwise
// each word that mixes Latin letters with look-alikes ("kіll" with a
// Cyrillic і) is mapped and every other word kept as it is, so that an
// emoji or a word of another language beside a forged word does not hide
// it. Ordinary Cyrillic or Greek words hold letters with no Latin twin (п,
// д, λ…) or no Latin letter at all, and are not imitations.
func Skeleton(key string) (string, bool) {
	out, ok := AppendSkeleton(nil, []byte(key))
	if !ok {
		if isASCII(key) {
			return key, false
		}
		return "", false
	}
	return string(out), true
}

// AppendSkeleton is Skeleton appending to dst; it allocates nothing when
// dst has room.
func AppendSkeleton(dst, key []byte) ([]byte, bool) {
	if whole, any := lookAlikes(key); any && whole {
		return appendMapped(dst, key), true
	} else if !any {
		return dst, false
	}
	start, imitation := len(dst), false
	for len(key) > 0 {
		end := 0
		for end < len(key) && key[end] != ' ' {
			end++
		}
		w := key[:end]
		if mixed(w) {
			dst = appendMapped(dst, w)
			imitation = true
		} else {
			dst = append(dst, w...)
		}
		if end < len(key) {
			dst = append(dst, ' ')
			end++
		}
		key = key[end:]
	}
	if !imitation {
		return dst[:start], false
	}
	return dst, true
}

// lookAlikes reports whether every letter of b outside ASCII has a Latin
// twin, and whether b holds any such letter.
func lookAlikes(b []byte) (all, any bool) {
	all = true
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if _, ok := confusables[r]; ok {
			any = true
		} else {
			all = false
		}
	}
	return all, any
}

// mixed reports whether the word w is a forgery: Latin letters and
// look-alikes, and nothing else outside ASCII.
func mixed(w []byte) bool {
	latin := false
	for _, c := range w {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			latin = true
			break
		}
	}
	if !latin {
		return false
	}
	all, any := lookAlikes(w)
	return all && any
}

// appendMapped appends b with every look-alike replaced by its Latin twin.
func appendMapped(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			dst = append(dst, b[i])
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		dst = append(dst, confusables[r])
	}
	return dst
}
