package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseConfigCredentials(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseConfig(nil, env(nil), io.Discard)
	// The simulator serves the console over plain HTTP: on the loopback.
	if err != nil || !c.simulated() || c.addr != "127.0.0.1:8080" || c.db != "helpline.db" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	all := map[string]string{"WHATSAPP_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_APP_SECRET": "s", "WHATSAPP_VERIFY_TOKEN": "v", "WHATSAPP_API_URL": "http://127.0.0.1:9"}
	c, err = parseConfig([]string{"-addr", ":9090", "-db", "postgres://x"}, env(all), io.Discard)
	if err != nil || c.simulated() || c.apiURL != "http://127.0.0.1:9" || c.addr != ":9090" {
		t.Fatalf("real line: %+v, %v", c, err)
	}
	if c, err = parseConfig(nil, env(all), io.Discard); err != nil || c.addr != ":8080" {
		t.Fatalf("a real line listens on every interface, behind its TLS proxy: %+v, %v", c, err)
	}
	_, err = parseConfig(nil, env(map[string]string{"WHATSAPP_TOKEN": "EAAG-token-value", "WHATSAPP_APP_SECRET": "app-secret-value"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_VERIFY_TOKEN missing") {
		t.Fatalf("a partial set must name what is missing: %v", err)
	}
	if strings.Contains(err.Error(), "token-value") || strings.Contains(err.Error(), "secret-value") {
		t.Fatal("the error must not quote a secret")
	}
	if _, err := parseConfig([]string{"serve"}, env(nil), io.Discard); err == nil {
		t.Fatal("an unknown argument must be refused")
	}
	if _, err := parseConfig([]string{"-db", ""}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "-db") {
		t.Fatalf("an empty -db: %v", err)
	}
	for _, w := range []string{"0", "-3", "5000"} {
		if _, err := parseConfig([]string{"-workers", w}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "-workers is "+w) || !strings.Contains(err.Error(), "4096") {
			t.Errorf("-workers %s: %v; want an error naming the flag and the limit", w, err)
		}
	}
	if c, err := parseConfig([]string{"-workers", "32"}, env(nil), io.Discard); err != nil || c.workers != 32 {
		t.Errorf("-workers 32: %+v, %v", c.workers, err)
	}
	if c, err := parseConfig(nil, env(nil), io.Discard); err != nil || c.workers != defaultWorkers {
		t.Errorf("default workers: %d, %v; want %d", c.workers, err, defaultWorkers)
	}
}

func TestParseLineErrors(t *testing.T) {
	t.Parallel()
	if _, err := parseLine("line.yaml", defaultLine); err != nil {
		t.Fatalf("the shipped line.yaml: %v", err)
	}
	tests := []struct{ name, edit, want string }{
		{"unknown field", "name: X\ncolour: blue\n", "colour"},
		{"no language", "default_language: \"\"\n", "default_language is empty"},
		{"bad zone", "hours:\n  time_zone: Mars/Olympus\n", "hours.time_zone"},
		{"bad day", "hours:\n  time_zone: UTC\n  days: [monday]\n", "hours.days"},
		{"no playbooks", "playbooks: []\n", "playbooks is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := mergeYAML(string(defaultLine), tt.edit)
			_, err := parseLine("line.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "line.yaml") {
				t.Fatalf("got %v, want an error naming %q", err, tt.want)
			}
		})
	}
	if _, err := parseLine("line.yaml", make([]byte, maxLineFile+1)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("an oversized file: %v", err)
	}
}

// mergeYAML replaces the top-level keys of base that edit sets.
func mergeYAML(base, edit string) string {
	keys := map[string]bool{}
	for _, l := range strings.Split(edit, "\n") {
		if l != "" && l[0] != ' ' {
			k, _, _ := strings.Cut(l, ":")
			keys[k] = true
		}
	}
	var out []string
	skip := false
	for _, l := range strings.Split(base, "\n") {
		if l != "" && l[0] != ' ' && l[0] != '#' {
			k, _, _ := strings.Cut(l, ":")
			skip = keys[k]
		}
		if !skip {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n") + "\n" + edit
}
