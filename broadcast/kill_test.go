package broadcast_test

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/sqlite"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// The environment of the campaign process TestKilledProcessResumes starts.
const (
	helperDB       = "BROADCAST_TEST_HELPER_DB"
	helperKey      = "BROADCAST_TEST_HELPER_KEY"
	helperURL      = "BROADCAST_TEST_HELPER_URL"
	helperCampaign = "BROADCAST_TEST_HELPER_CAMPAIGN"
)

// TestKilledProcessResumes runs a campaign in a child process, kills it
// with SIGKILL halfway, and resumes it in this process on the same SQLite
// file: nobody gets a message twice, and the sends the kill cut short are
// reported as unknown.
func TestKilledProcessResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	n := 3_000
	if raceEnabled {
		n = 600
	}
	srv := whatsapptest.NewServer(whatsapptest.WithThroughput(1000))
	defer srv.Close()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "line.db")
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i * 7)
	}
	ring, err := keyring.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	open := func() *sqlite.Store {
		st, err := sqlite.Open(ctx, path, sqlite.WithKeyring(ring), sqlite.WithSynchronous("normal"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	now := time.Now()
	seed(t, ctx, st, n, now, false, allConsent(now))
	// This process only snapshots; the child sends.
	r := newRunner(t, st, &recorder{})
	spec := alertSpec()
	spec.Line = whatsapptest.DefaultPhoneNumberID
	c, err := r.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCampaignProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		helperDB+"="+path, helperKey+"="+hex.EncodeToString(secret), helperURL+"="+srv.URL, helperCampaign+"="+c.ID)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for len(srv.Sent()) < n/2 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the campaign process did not get halfway")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	before := len(srv.Sent())

	st = open()
	defer st.Close()
	client, err := srv.NewClient(whatsapp.WithoutPacing(), whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	channel, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st.Contacts()})
	if err != nil {
		t.Fatal(err)
	}
	second := newRunner(t, st, channel, broadcast.WithClassifier(classify), broadcast.WithThroughput(1000))
	p, err := second.Run(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range srv.Sent() {
		got[strings.TrimPrefix(s.To, "+")]++
	}
	for i := range n {
		if k := got[phone(i)]; k > 1 {
			t.Errorf("person %d got %d messages", i, k)
		}
	}
	rs, err := st.Broadcasts().Recipients(ctx, c.ID, storage.RecipientUnknown, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range rs {
		if rec.Reason != "interrupted" {
			t.Errorf("unknown recipient %d with reason %q", rec.Seq, rec.Reason)
		}
	}
	if p.State != broadcast.StateDone || p.Reached()+p.Unknown != n || p.Reached() > len(got) || len(got) > n {
		t.Errorf("progress %+v; %d people reached by the fake", p, len(got))
	}
	t.Logf("killed after %d messages; %d unknown; %d people reached", before, p.Unknown, len(got))
}

// TestHelperCampaignProcess is the campaign process of
// TestKilledProcessResumes; it does nothing in a normal test run.
func TestHelperCampaignProcess(t *testing.T) {
	path := os.Getenv(helperDB)
	if path == "" {
		t.Skip("run by TestKilledProcessResumes")
	}
	secret, err := hex.DecodeString(os.Getenv(helperKey))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keyring.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	st, err := sqlite.Open(ctx, path, sqlite.WithKeyring(ring), sqlite.WithSynchronous("normal"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := whatsapp.New(whatsapptest.DefaultToken, whatsapp.WithBaseURL(os.Getenv(helperURL)),
		whatsapp.WithoutPacing(), whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	channel, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st.Contacts()})
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, st, channel, broadcast.WithClassifier(classify), broadcast.WithThroughput(1000))
	_, err = r.Run(ctx, os.Getenv(helperCampaign))
	t.Fatalf("the campaign process was meant to be killed; Run returned %v", err)
}
