// Package yamlerr places a YAML library's parse errors in the file: the
// library reports a line only inside its message, and for a broken block
// it names the line where the block began rather than the line that broke
// it. The package does not parse YAML itself; callers pass their parser.
package yamlerr

import (
	"regexp"
	"strconv"
	"strings"
)

var lineRE = regexp.MustCompile(`line (\d+)`)

// Line returns the line the error names, or 0.
func Line(err error) int {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// Text returns the error's message without the "yaml:" prefix and the
// line.
func Text(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = lineRE.ReplaceAllString(s, "")
	return strings.Trim(strings.ReplaceAll(s, "  ", " "), " :")
}

// Where returns the line to show for err, a parse error of src. Where the
// library named the start of a block that a later line broke ("did not
// find expected ..."), it finds that later line: the first at or after the
// named one whose addition makes src's leading lines fail broken, which
// reports whether a prefix of src is invalid (a cut that only ends the text
// early, inside a quoted value say, must not count). The search halves the
// range each time, so a 1 MiB file is parsed about 15 times more, and only
// once it is known to be broken.
func Where(src []byte, err error, broken func(prefix []byte) bool) int {
	from := Line(err)
	if from == 0 || !strings.Contains(err.Error(), "did not find expected") {
		return from
	}
	var ends []int // ends[i] is the offset just past line i+1
	for i, c := range src {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(src) {
		ends = append(ends, len(src))
	}
	lo, hi := from, len(ends)
	if lo > hi || !broken(src[:ends[hi-1]]) {
		return from
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if broken(src[:ends[mid-1]]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// CutShort reports whether err only says the text ended early, as a
// prefix of a valid file may.
func CutShort(err error) bool {
	return strings.Contains(err.Error(), "end of stream")
}
