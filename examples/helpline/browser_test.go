package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/impactchat/impactchat/storage"
	"golang.org/x/crypto/bcrypt"
)

// chromium finds Debian's Chromium: IMPACTCHAT_CHROMIUM (set by CI, where
// the test must run), else chromium on the PATH, else the test is skipped.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("IMPACTCHAT_CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); CI installs it and sets IMPACTCHAT_CHROMIUM")
	}
	return p
}

// TestConsoleInBrowser signs in to the staff console in headless Chromium,
// takes the urgent conversation first, replies and closes it.
func TestConsoleInBrowser(t *testing.T) {
	exe := chromium(t)
	l := startLine(t)

	// Two people are waiting: a routine request that came first, then an
	// urgent one.
	const routine, urgent = "15550100011", "15550100012"
	l.agree(t, routine)
	l.say(routine, "I want to talk to a person")
	l.settle()
	l.say(urgent, "my husband is beating me")
	l.waitFor(urgent, 1)
	l.settle()
	hash, _ := bcrypt.GenerateFromPassword([]byte("a long enough password"), bcrypt.MinCost)
	if _, err := l.app.store.Staff().Create(t.Context(), storage.StaffAccount{Login: "amina", Name: "Amina", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
		t.Logf("browser: %s: done", what)
	}
	// The first action starts the browser and must not run under a
	// deadline; every later step gets one, so a broken page fails fast.
	step("start", chromedp.Do(ctx))
	bctx := ctx
	ctx, cancelStep := context.WithTimeout(bctx, 60*time.Second)
	defer cancelStep()
	step("open the sign-in page", chromedp.Do(ctx, chromedp.Navigate(l.app.baseURL+"/console/login")))
	step("see the form", chromedp.Do(ctx, chromedp.WaitVisible(css("#login"))))
	step("type", chromedp.Do(ctx,
		chromedp.SendKeys(css("#login"), "amina"),
		chromedp.SendKeys(css("#password"), "a long enough password"),
	))
	step("sign in", chromedp.Do(ctx, chromedp.Click(css("#signin")), chromedp.WaitVisible(css("#take-next"))))
	step("take next", chromedp.Do(ctx, chromedp.Click(css("#take-next")), chromedp.WaitVisible(css("#priority"))))
	priority, err := chromedp.Run(ctx, chromedp.Text(css("#priority")))
	step("read priority", err)
	step("reply", chromedp.Do(ctx,
		chromedp.SendKeys(css("#reply-text"), "We are here with you. Are you safe right now?"),
		chromedp.Click(css("#send-reply")),
		chromedp.WaitVisible(css(".flash")),
	))
	flash, err := chromedp.Run(ctx, chromedp.Text(css(".flash")))
	step("read flash", err)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	step("screenshot", err)
	step("close", chromedp.Do(ctx, chromedp.Click(css("#close")), chromedp.WaitVisible(css("#take-next"))))
	state, err := chromedp.Run(ctx, chromedp.Text(css(".flash")))
	step("read state", err)
	path := filepath.Join(t.ArtifactDir(), "console-ticket.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if !strings.Contains(priority, "urgent") && !strings.Contains(priority, "critical") {
		t.Fatalf("the first conversation served was %q, not the urgent one", priority)
	}
	if !strings.Contains(flash, "Sent") {
		t.Fatalf("after replying the page said %q", flash)
	}
	if !strings.Contains(state, "Closed") {
		t.Fatalf("after closing the page said %q", state)
	}
	got := l.waitFor(urgent, 2)
	if last := got[len(got)-1]; !strings.Contains(last.Text, "Are you safe right now?") {
		t.Fatalf("the reply did not reach the person: %s", texts(got))
	}
	tk, err := l.app.store.Tickets().Active(t.Context(), storage.ContactRef{Channel: "whatsapp", Identifier: routine})
	if err != nil || tk.State != storage.TicketOpen {
		t.Fatalf("the routine ticket should still wait: %+v, %v", tk, err)
	}
}
