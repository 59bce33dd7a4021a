package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "helpline:", err)
		os.Exit(1)
	}
}

// defaultWorkers is how many events the line handles at once. A handler
// spends most of its time waiting for the store and the Graph API, and the
// more writes wait together, the more of them share one commit to the disk:
// on SQLite the line answers about twice as many messages a second with 128
// as with chat's default of 16 (BENCHMARKS.md).
const defaultWorkers = 128

// maxWorkers bounds -workers.
const maxWorkers = 4096

// config is everything the line is started with.
type config struct {
	addr    string
	db      string
	keyFile string
	content string
	phone   bool
	workers int

	token, phoneNumberID, appSecret, verifyToken, apiURL string

	// now is the clock of every part of the line; tests move it to cross
	// the 24-hour window. Nil means time.Now.
	now func() time.Time
	// getenv reads the environment (the keyring variable).
	getenv func(string) string
	// onSend, in simulator mode, sees every message the line sends (tests
	// and the load benchmark watch replies with it).
	onSend func(whatsapptest.Sent)
	// unlimited lifts the simulator's and the client's rate limits, for the
	// load benchmark.
	unlimited bool
}

func (c config) simulated() bool { return c.token == "" }

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("helpline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "", "listen address (default 127.0.0.1:8080 with the simulator, where the console's cookies are not Secure; :8080 with WhatsApp credentials)")
	fs.StringVar(&c.db, "db", "helpline.db", "a SQLite file path, a postgres:// URL, or memory: to keep nothing")
	fs.StringVar(&c.keyFile, "keyfile", "", "keyring file (default: the database path + \".key\")")
	fs.StringVar(&c.content, "content", "", "folder with line.yaml, playbooks, notices and lexicons")
	fs.BoolVar(&c.phone, "phone", true, "in simulator mode, use the terminal as a community member's phone")
	fs.IntVar(&c.workers, "workers", defaultWorkers, "conversations handled at once (each mostly waits for the database and the Graph API)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q; the only command is adduser", fs.Arg(0))
	}
	vars := map[string]*string{
		"WHATSAPP_TOKEN":           &c.token,
		"WHATSAPP_PHONE_NUMBER_ID": &c.phoneNumberID,
		"WHATSAPP_APP_SECRET":      &c.appSecret,
		"WHATSAPP_VERIFY_TOKEN":    &c.verifyToken,
	}
	var set, missing []string
	for _, name := range []string{"WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"} {
		*vars[name] = strings.TrimSpace(getenv(name))
		if *vars[name] == "" {
			missing = append(missing, name)
		} else {
			set = append(set, name)
		}
	}
	if len(set) > 0 && len(missing) > 0 {
		return c, fmt.Errorf("%s set but %s missing: set all four to serve a real number, or none to use the simulator",
			strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	if c.addr == "" {
		// The simulator serves the console over plain HTTP: only to
		// this machine. A real line sits behind a TLS proxy.
		c.addr = ":8080"
		if c.simulated() {
			c.addr = "127.0.0.1:8080"
		}
	}
	c.apiURL = strings.TrimSpace(getenv("WHATSAPP_API_URL"))
	c.getenv = getenv
	if c.db == "" {
		return c, errors.New("-db is empty: give a SQLite file path or a postgres:// URL")
	}
	if c.workers < 1 || c.workers > maxWorkers {
		return c, fmt.Errorf("-workers is %d; give a number from 1 to %d", c.workers, maxWorkers)
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "adduser" {
		return addUser(ctx, args[1:], stdin, stdout, stderr, getenv)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	app, err := newApp(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	return app.run(ctx, stdin)
}
