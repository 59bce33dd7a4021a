package triage

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Schedule says when staff are at work. Routine and elevated SLAs run on
// its clock; urgent and critical ones run around the clock.
type Schedule interface {
	// Open reports whether staff are at work at t.
	Open(t time.Time) bool
	// NextOpen returns t if the schedule is open at t, else the next time
	// it opens.
	NextOpen(t time.Time) time.Time
	// Add returns the time at which d of open time has passed after t.
	Add(t time.Time, d time.Duration) time.Time
}

// AlwaysOpen is the 24/7 schedule.
type AlwaysOpen struct{}

// Open implements Schedule.
func (AlwaysOpen) Open(time.Time) bool { return true }

// NextOpen implements Schedule.
func (AlwaysOpen) NextOpen(t time.Time) time.Time { return t }

// Add implements Schedule.
func (AlwaysOpen) Add(t time.Time, d time.Duration) time.Time { return t.Add(d) }

// BusinessHours is a weekly schedule in one time zone, with holidays.
// Build it with NewBusinessHours; daylight-saving changes are handled by
// computing each day's hours in the zone.
type BusinessHours struct {
	loc        *time.Location
	days       [7]bool
	start, end int // minutes after midnight
	holidays   map[string]bool
}

// The longest search for an open day; a schedule closed for longer is a
// configuration error caught by NewBusinessHours as far as it can be.
const maxClosedDays = 800

// NewBusinessHours returns a schedule open on days from open to close
// ("09:00", "17:00") in loc, except on holidays ("2026-12-25", dates in
// loc).
func NewBusinessHours(loc *time.Location, days []time.Weekday, open, close string, holidays ...string) (*BusinessHours, error) {
	if loc == nil {
		return nil, errors.New("triage: business hours: location is nil; use time.LoadLocation")
	}
	if len(days) == 0 {
		return nil, errors.New("triage: business hours: days is empty; give at least one weekday")
	}
	b := &BusinessHours{loc: loc, holidays: map[string]bool{}}
	for _, d := range days {
		if d < time.Sunday || d > time.Saturday {
			return nil, fmt.Errorf("triage: business hours: day %d is not a weekday", d)
		}
		b.days[d] = true
	}
	var err error
	if b.start, err = parseClock("open", open); err != nil {
		return nil, err
	}
	if b.end, err = parseClock("close", close); err != nil {
		return nil, err
	}
	if b.end <= b.start {
		return nil, fmt.Errorf("triage: business hours: close %s must be after open %s", close, open)
	}
	for i, h := range holidays {
		d, err := time.ParseInLocation(time.DateOnly, h, loc)
		if err != nil {
			return nil, fmt.Errorf("triage: business hours: holidays[%d] %q is not a date like 2026-12-25", i, h)
		}
		b.holidays[d.Format(time.DateOnly)] = true
	}
	return b, nil
}

func parseClock(field, s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("triage: business hours: %s %q is not a time like 09:00", field, s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Weekdays is Monday to Friday.
var Weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

// Location returns the schedule's time zone.
func (b *BusinessHours) Location() *time.Location { return b.loc }

// hours returns the open interval of the day containing t, and whether the
// day is open at all.
func (b *BusinessHours) hours(day time.Time) (from, to time.Time, ok bool) {
	y, m, d := day.Date()
	if !b.days[day.Weekday()] || b.holidays[day.Format(time.DateOnly)] {
		return time.Time{}, time.Time{}, false
	}
	from = time.Date(y, m, d, b.start/60, b.start%60, 0, 0, b.loc)
	to = time.Date(y, m, d, b.end/60, b.end%60, 0, 0, b.loc)
	return from, to, true
}

// Open implements Schedule.
func (b *BusinessHours) Open(t time.Time) bool {
	from, to, ok := b.hours(t.In(b.loc))
	return ok && !t.Before(from) && t.Before(to)
}

// NextOpen implements Schedule. It returns the zero time if the schedule
// stays closed for more than two years (every day a holiday).
func (b *BusinessHours) NextOpen(t time.Time) time.Time {
	from, to := b.nextInterval(t)
	if from.IsZero() || to.IsZero() {
		return time.Time{}
	}
	return from
}

// nextInterval returns the open interval containing t, or the next one,
// with from clipped to t.
func (b *BusinessHours) nextInterval(t time.Time) (from, to time.Time) {
	lt := t.In(b.loc)
	y, m, d := lt.Date()
	for i := range maxClosedDays {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, b.loc)
		f, e, ok := b.hours(day)
		if !ok || !t.Before(e) {
			continue
		}
		if f.Before(t) {
			f = t
		}
		return f, e
	}
	return time.Time{}, time.Time{}
}

// Add implements Schedule: it counts only open time. If the schedule never
// opens again it returns the zero time.
func (b *BusinessHours) Add(t time.Time, d time.Duration) time.Time {
	cur := t
	for {
		from, to := b.nextInterval(cur)
		if from.IsZero() {
			return time.Time{}
		}
		if avail := to.Sub(from); d <= avail {
			return from.Add(d)
		} else {
			d -= avail
		}
		cur = to
	}
}

// Holidays returns the holiday dates, sorted.
func (b *BusinessHours) Holidays() []string {
	out := make([]string, 0, len(b.holidays))
	for h := range b.holidays {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

var (
	_ Schedule = AlwaysOpen{}
	_ Schedule = (*BusinessHours)(nil)
)
