// Package textnorm is the one normaliser applied to both lexicon entries and
// inbound messages, so that a keyword matches however the person typed it.
//
// The key of a text is built in this order:
//
//  1. NFKC: full-width forms, ligatures and Arabic presentation forms become
//     the ordinary letters.
//  2. Case folding (language independent: ß becomes ss).
//  3. Accents and harakat are removed, but only where the letter they sit on
//     is Latin, Greek or Arabic. Other scripts keep their combining marks:
//     Devanagari, Bengali, Thai and Myanmar write vowels with them, and the
//     Cyrillic й and ї are a letter plus a mark.
//  4. Format characters are dropped: tatweel, zero-width joiners and
//     non-joiners, bidirectional marks, the byte-order mark, variation
//     selectors and emoji skin-tone modifiers. The zero-width space is not
//     dropped but separates words, except between letters of scripts written
//     without spaces (Thai, Lao, Khmer, Myanmar, Tibetan, Chinese, Japanese,
//     Javanese, Balinese), where it only marks where a line may break.
//  5. Letter variants are folded: ٱ→ا, ى→ي, ی→ي, ک→ك, ة→ه, ё→е, the modifier
//     letter apostrophe ʼ (Ukrainian's) becomes the apostrophe, and digits of
//     every script become 0-9.
//  6. Punctuation, symbols and white space collapse to one space; emoji stay,
//     each as a token of its own.
//
// The folding is deliberately lossy: a key is for matching only and is never
// stored or shown. Any change to these rules changes [Version], and lexicons
// are keyed again when they load.
package textnorm
