package triage_test

import (
	"testing"
	"time"

	"github.com/impactchat/impactchat/triage"
)

func TestBusinessHours(t *testing.T) {
	t.Parallel()
	b := quitoHours(t)
	loc := b.Location()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// 2026-11-20 is a Friday.
	tests := []struct {
		now      string
		open     bool
		nextOpen string
	}{
		{"2026-11-20 10:00", true, "2026-11-20 10:00"},
		{"2026-11-20 08:59", false, "2026-11-20 09:00"},
		{"2026-11-20 17:00", false, "2026-11-23 09:00"},
		{"2026-11-21 12:00", false, "2026-11-23 09:00"},
		{"2026-12-24 18:00", false, "2026-12-28 09:00"}, // Christmas Friday is a holiday
	}
	for _, tt := range tests {
		if got := b.Open(at(tt.now)); got != tt.open {
			t.Errorf("Open(%s) = %v, want %v", tt.now, got, tt.open)
		}
		if got := b.NextOpen(at(tt.now)); !got.Equal(at(tt.nextOpen)) {
			t.Errorf("NextOpen(%s) = %v, want %s", tt.now, got, tt.nextOpen)
		}
	}
	// A message on Friday at 17:00 gets an 8-hour answer by Monday 17:00,
	// 72 hours later: past the 24-hour window.
	if got := b.Add(at("2026-11-20 17:00"), 8*time.Hour); !got.Equal(at("2026-11-23 17:00")) {
		t.Errorf("Add(Fri 17:00, 8h) = %v", got)
	}
	if got := b.Add(at("2026-11-20 15:00"), 4*time.Hour); !got.Equal(at("2026-11-23 11:00")) {
		t.Errorf("Add(Fri 15:00, 4h) = %v", got)
	}
}

func TestBusinessHoursAcrossDaylightSaving(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Europe/Athens")
	if err != nil {
		t.Skipf("time zone data unavailable: %v", err)
	}
	b, err := triage.NewBusinessHours(loc, triage.Weekdays, "09:00", "17:00")
	if err != nil {
		t.Fatal(err)
	}
	// Clocks go back on Sunday 2026-10-25; Monday still opens at 09:00 local.
	fri := time.Date(2026, 10, 23, 16, 0, 0, 0, loc)
	got := b.Add(fri, 2*time.Hour)
	if want := time.Date(2026, 10, 26, 10, 0, 0, 0, loc); !got.Equal(want) {
		t.Errorf("Add across DST = %v, want %v", got, want)
	}
}

func TestNewBusinessHoursRejectsBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		open, close string
		days        []time.Weekday
		holidays    []string
	}{
		{"9am", "17:00", triage.Weekdays, nil},
		{"17:00", "09:00", triage.Weekdays, nil},
		{"09:00", "17:00", nil, nil},
		{"09:00", "17:00", triage.Weekdays, []string{"25/12/2026"}},
	} {
		if _, err := triage.NewBusinessHours(time.UTC, tt.days, tt.open, tt.close, tt.holidays...); err == nil {
			t.Errorf("NewBusinessHours(%v) accepted bad input", tt)
		}
	}
}
