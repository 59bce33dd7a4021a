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
// whether key is such an imitation: it holds look-alike Cyrillic or Greek
// letters and nothing else outside ASCII. Ordinary Cyrillic or Greek words
// hold letters with no Latin twin (п, д, λ…) and are not imitations.
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
	imitation := false
	for i := 0; i < len(key); {
		if key[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		i += n
		if _, ok := confusables[r]; !ok {
			return dst, false
		}
		imitation = true
	}
	if !imitation {
		return dst, false
	}
	for i := 0; i < len(key); {
		if key[i] < utf8.RuneSelf {
			dst = append(dst, key[i])
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		i += n
		dst = append(dst, confusables[r])
	}
	return dst, true
}
