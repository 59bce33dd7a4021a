package flow

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The template syntax is deliberately tiny: {{field}} inserts a contact
// field, {{field|fallback}} inserts the fallback when the field is empty,
// and {{answer}} inserts the last answer. There are no expressions, no
// loops and no HTML: a value is inserted as plain text, clipped to
// maxValueRunes.

const maxValueRunes = 200

// tmplRef is one {{...}} in a string.
type tmplRef struct {
	Field    string
	Fallback string
}

// scanTemplate returns the references of s, or an error describing the
// first malformed one.
func scanTemplate(s string) ([]tmplRef, error) {
	var refs []tmplRef
	for {
		i := strings.Index(s, "{{")
		j := strings.Index(s, "}}")
		if i < 0 {
			if j >= 0 {
				return refs, errors.New(`"}}" without "{{"`)
			}
			return refs, nil
		}
		if j < 0 || j < i {
			if j >= 0 && j < i {
				return refs, errors.New(`"}}" without "{{"`)
			}
			return refs, errors.New(`"{{" is not closed with "}}"`)
		}
		inner := s[i+2 : j]
		name, fb, _ := strings.Cut(inner, "|")
		name = strings.TrimSpace(name)
		if !validName(name) {
			return refs, fmt.Errorf("{{%s}} is not a field name (lowercase letters, digits and _, starting with a letter)", clip(inner, 30))
		}
		if strings.Contains(fb, "{{") {
			return refs, errors.New(`a fallback cannot contain "{{"`)
		}
		refs = append(refs, tmplRef{Field: name, Fallback: strings.TrimSpace(fb)})
		s = s[j+2:]
	}
}

// render fills in s. It never fails: malformed templates are caught by
// Validate, and here they are left as written.
func render(s string, lookup func(string) string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s)
			break
		}
		j += i
		b.WriteString(s[:i])
		name, fb, _ := strings.Cut(s[i+2:j], "|")
		v := lookup(strings.TrimSpace(name))
		if v == "" {
			v = strings.TrimSpace(fb)
		}
		b.WriteString(clipRunes(v, maxValueRunes))
		s = s[j+2:]
	}
	return b.String()
}

func clipRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i]
}

// clipBytes cuts s to at most n bytes without splitting a character.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_'):
		default:
			return false
		}
	}
	return true
}

// validID accepts node, choice and playbook ids: letters, digits, - and _.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// hours is a set of weekly opening spans.
type hours struct {
	spans []span
}

type span struct {
	days       [7]bool // by time.Weekday
	start, end int     // minutes since midnight; end exclusive
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseHours reads "mon-fri 09:00-17:00, sat 10:00-13:00".
func parseHours(s string) (*hours, error) {
	h := &hours{}
	for part := range strings.SplitSeq(s, ",") {
		fields := strings.Fields(strings.ToLower(part))
		if len(fields) != 2 {
			return nil, fmt.Errorf("%q should be days then times, e.g. mon-fri 09:00-17:00", strings.TrimSpace(part))
		}
		var sp span
		for d := range strings.SplitSeq(fields[0], "+") {
			from, to, isRange := strings.Cut(d, "-")
			a, b := dayIndex(from), dayIndex(to)
			if !isRange {
				b = a
			}
			if a < 0 || b < 0 {
				return nil, fmt.Errorf("%q is not a day or a range of days (mon, tue, wed, thu, fri, sat, sun)", d)
			}
			for i := a; ; i = (i + 1) % 7 {
				sp.days[i] = true
				if i == b {
					break
				}
			}
		}
		from, to, ok := strings.Cut(fields[1], "-")
		a, errA := clock(from)
		b, errB := clock(to)
		if !ok || errA != nil || errB != nil {
			return nil, fmt.Errorf("%q should be two times such as 09:00-17:00", fields[1])
		}
		if b <= a {
			return nil, fmt.Errorf("%q ends before it starts", fields[1])
		}
		sp.start, sp.end = a, b
		h.spans = append(h.spans, sp)
	}
	return h, nil
}

func dayIndex(s string) int {
	for i, d := range dayNames {
		if s == d {
			return i
		}
	}
	return -1
}

func clock(s string) (int, error) {
	var hh, mm int
	if len(s) != 5 || s[2] != ':' {
		return 0, errors.New("bad time")
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &hh, &mm); err != nil {
		return 0, err
	}
	if hh > 24 || mm > 59 || hh == 24 && mm != 0 {
		return 0, errors.New("bad time")
	}
	return hh*60 + mm, nil
}

func (h *hours) contains(t time.Time) bool {
	if h == nil {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	for _, sp := range h.spans {
		if sp.days[t.Weekday()] && m >= sp.start && m < sp.end {
			return true
		}
	}
	return false
}
