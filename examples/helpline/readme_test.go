package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// moduleRoot walks up from the test's folder to the folder with go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

var fence = regexp.MustCompile("(?s)```sh\n(.*?)```")

// readmeCommands returns the set-up commands of the README's "Try it"
// section: every line of its sh blocks.
func readmeCommands(t *testing.T, root string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "## Try it")
	if start < 0 {
		t.Fatal(`README.md has no "## Try it" section`)
	}
	s = s[start+len("## Try it"):]
	if end := strings.Index(s, "\n## "); end >= 0 {
		s = s[:end]
	}
	var cmds []string
	for _, m := range fence.FindAllStringSubmatch(s, -1) {
		for _, line := range strings.Split(strings.TrimSpace(m[1]), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				cmds = append(cmds, line)
			}
		}
	}
	return cmds
}

// TestReadmeCommands checks that the README gives a newcomer exactly two
// commands, runs the first exactly as written (for a short conversation in
// simulator mode), and checks that CI runs the second exactly as written. The
// test command is not run from inside itself: CI runs it.
func TestReadmeCommands(t *testing.T) {
	root := moduleRoot(t)
	cmds := readmeCommands(t, root)
	if len(cmds) != 2 || !strings.HasPrefix(cmds[0], "go run ") || !strings.HasPrefix(cmds[1], "go test ") {
		t.Fatalf("the README must give exactly two commands, run then test; it gives %q", cmds)
	}
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cmds[1]) + `$`).Match(ci) {
		t.Fatalf(".ci/run does not run the README's test command %q as written", cmds[1])
	}

	// The run command listens on :8080 and keeps helpline.db in the working
	// directory, as the README says; leave alone what was there before.
	if l, err := net.Listen("tcp", ":8080"); err != nil {
		t.Fatalf("port 8080 is taken, so the README's run command cannot work here: %v", err)
	} else {
		l.Close()
	}
	for _, f := range []string{"helpline.db", "helpline.db-wal", "helpline.db-shm", "helpline.db.key"} {
		p := filepath.Join(root, f)
		if _, err := os.Stat(p); os.IsNotExist(err) {
			t.Cleanup(func() { os.Remove(p) })
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute) // includes compiling
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", cmds[0])
	cmd.Dir = root
	cmd.Env = withoutWhatsApp(os.Environ())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(want string) {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the line stopped before printing %q; output:\n%s", want, out.String())
				}
				if strings.Contains(l, want) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no %q within the time limit; output:\n%s", want, out.String())
			}
		}
	}
	waitLine("built-in simulator")
	waitLine("Say hello.")
	io.WriteString(stdin, "hello\n")
	waitLine("Before we start") // the privacy notice comes first
	waitLine("I agree")
	io.WriteString(stdin, "1\n")
	waitLine("What would you like to know about?")
	io.WriteString(stdin, "/quit\n")
	pwDone := make(chan error, 1)
	go func() { err := cmd.Wait(); pw.Close(); pwDone <- err }()
	for range lines {
	}
	if err := <-pwDone; err != nil {
		t.Fatalf("the run command did not exit cleanly: %v\n%s", err, out.String())
	}
}

func withoutWhatsApp(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "WHATSAPP_") && !strings.HasPrefix(e, keyEnv+"=") {
			out = append(out, e)
		}
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) WriteString(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
