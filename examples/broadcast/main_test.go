package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/whatsapp"
)

func noEnv(string) string { return "" }

var idLine = regexp.MustCompile(`campaign ([0-9a-f-]{36}): (\d+) recipients`)

func TestStartRunsTheDemoToTheEnd(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	var out bytes.Buffer
	err := run(t.Context(), []string{"-db", db, "-demo", "60", "-throughput", "1000", "-bar=false", "-undeliverable", "0"}, &out, io.Discard, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	m := idLine.FindStringSubmatch(out.String())
	if m == nil || m[2] != "54" {
		t.Fatalf("output:\n%s", out.String())
	}
	for _, want := range []string{"6 no_consent", " done", "failed", "unknown (never resent)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if err := run(t.Context(), []string{"status", "-db", db, "-id", m[1]}, &out, io.Discard, noEnv); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`recipients\s+54`).MatchString(out.String()) {
		t.Errorf("status:\n%s", out.String())
	}
	if err := run(t.Context(), []string{"resume", "-db", db, "-id", m[1]}, io.Discard, io.Discard, noEnv); !errors.Is(err, broadcast.ErrFinished) {
		t.Errorf("resume of a done campaign: %v", err)
	}
}

func TestInterruptAndResume(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	ctx, cancel := context.WithCancel(t.Context())
	var out bytes.Buffer
	// Interrupt half a second after the campaign started sending.
	w := writerFunc(func(p []byte) (int, error) {
		if bytes.Contains(p, []byte("recipients")) && out.Len() == 0 {
			time.AfterFunc(500*time.Millisecond, cancel)
		}
		return out.Write(p)
	})
	err := run(ctx, []string{"-db", db, "-demo", "40", "-throughput", "20", "-bar=false"}, w, io.Discard, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	m := idLine.FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "interrupted; carry on with: broadcast resume -id "+m[1]) {
		t.Fatalf("output:\n%s", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"resume", "-db", db, "-id", m[1], "-throughput", "1000", "-bar=false"}, &out, io.Discard, noEnv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), " done") || !regexp.MustCompile(`queued\s+0\n`).MatchString(out.String()) {
		t.Fatalf("after resume:\n%s", out.String())
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"explode"}, nil, `unknown command "explode"`},
		{"resume without id", []string{"resume"}, nil, "-id is required"},
		{"throughput", []string{"-throughput", "0"}, nil, "-throughput 0"},
		{"half the credentials", nil, map[string]string{"WHATSAPP_TOKEN": "t"}, "set both WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(tt.args, io.Discard, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parse(%q) = %v, want %q", tt.args, err, tt.want)
			}
		})
	}
	if _, err := parse([]string{"-h"}, io.Discard, noEnv); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	c, err := parse([]string{"-db", "x.db", "pause", "-id", "c1"}, io.Discard, noEnv)
	if err != nil || c.command != "pause" || c.keyFile != "x.db.key" {
		t.Fatalf("parse: %+v, %v", c, err)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	api := func(status, code int) error {
		return whatsapp.DecodeError(status, []byte(`{"error":{"code":`+strconv.Itoa(code)+`}}`))
	}
	tests := []struct {
		err      error
		action   broadcast.Action
		reason   string
		throttle bool
	}{
		{api(400, 130429), broadcast.Retry, "130429", true},
		{api(400, 131056), broadcast.Retry, "131056", false},
		{api(503, 131016), broadcast.Retry, "131016", true},
		{api(400, 131026), broadcast.Stop, "131026", false},
		{api(400, 131050), broadcast.Stop, "131050", false},
		{api(400, 131047), broadcast.Stop, "131047", false},
		{api(400, 132001), broadcast.Stop, "132001", false},
		{api(401, 190), broadcast.Fatal, "190", false},
		{whatsapp.ErrAmbiguous, broadcast.Unknown, "ambiguous", false},
		{errors.New("something else"), broadcast.Unknown, "error", false},
	}
	for _, tt := range tests {
		o := classify(tt.err)
		if o.Action != tt.action || o.Reason != tt.reason || o.Throttle != tt.throttle {
			t.Errorf("classify(%v) = %+v, want %v %q throttle=%v", tt.err, o, tt.action, tt.reason, tt.throttle)
		}
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
