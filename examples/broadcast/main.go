package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "broadcast:", err)
		os.Exit(1)
	}
}

// params collects a repeated -param flag.
type params []string

func (p *params) String() string     { return fmt.Sprint(*p) }
func (p *params) Set(v string) error { *p = append(*p, v); return nil }

type config struct {
	command       string
	db, keyFile   string
	id            string
	template      string
	lang          string
	params        params
	text          string
	purpose       string
	language      string
	throughput    int
	tier          int
	demo          int
	undeliverable float64
	bar           bool

	token, phoneNumberID, apiURL string
}

func parse(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	c := config{command: "start"}
	fs := flag.NewFlagSet("broadcast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.db, "db", "broadcast.db", "the SQLite store")
	fs.StringVar(&c.keyFile, "keyfile", "", "the keyring file (default: the store path + \".key\")")
	fs.StringVar(&c.id, "id", "", "the campaign, for resume, status, pause and cancel")
	fs.StringVar(&c.template, "template", "service_update", "the approved template")
	fs.StringVar(&c.lang, "lang", "en", "the template's language")
	fs.Var(&c.params, "param", "a template body parameter; repeat for several")
	fs.StringVar(&c.text, "text", "", "free text instead of a template (people inside their 24-hour window only)")
	fs.StringVar(&c.purpose, "purpose", "followup", "the consent purpose the campaign serves")
	fs.StringVar(&c.language, "language", "", "only contacts with this language")
	fs.IntVar(&c.throughput, "throughput", 80, "the number's messages per second")
	fs.IntVar(&c.tier, "tier", 0, "the daily messaging limit (0: unlimited)")
	fs.IntVar(&c.demo, "demo", 1000, "simulator: demo contacts to create in an empty store")
	fs.Float64Var(&c.undeliverable, "undeliverable", 2, "simulator: percentage of sends refused as undeliverable")
	fs.BoolVar(&c.bar, "bar", true, "show a progress bar")
	// The command may come first or after the flags.
	explicit := len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-'
	if explicit {
		c.command, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if rest := fs.Args(); len(rest) > 0 {
		if explicit {
			return c, fmt.Errorf("unexpected arguments %q", rest)
		}
		c.command = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return c, err
		}
		if len(fs.Args()) > 0 {
			return c, fmt.Errorf("unexpected arguments %q", fs.Args())
		}
	}
	switch c.command {
	case "start":
	case "resume", "status", "pause", "cancel":
		if c.id == "" {
			return c, fmt.Errorf("%s: -id is required", c.command)
		}
	default:
		return c, fmt.Errorf("unknown command %q; want start, resume, status, pause or cancel", c.command)
	}
	if c.throughput < 1 || c.throughput > 10_000 {
		return c, fmt.Errorf("-throughput %d: want 1 to 10000 messages per second", c.throughput)
	}
	if c.tier < 0 {
		return c, fmt.Errorf("-tier %d: want the number's daily limit (250, 2000, 10000, 100000...) or 0 for none", c.tier)
	}
	if c.demo < 0 || c.demo > 1_000_000 {
		return c, fmt.Errorf("-demo %d: want 0 to 1000000 contacts", c.demo)
	}
	if c.undeliverable < 0 || c.undeliverable > 100 {
		return c, fmt.Errorf("-undeliverable %v: want a percentage from 0 to 100", c.undeliverable)
	}
	if c.keyFile == "" {
		c.keyFile = c.db + ".key"
	}
	c.token = getenv("WHATSAPP_TOKEN")
	c.phoneNumberID = getenv("WHATSAPP_PHONE_NUMBER_ID")
	c.apiURL = getenv("WHATSAPP_API_URL")
	if (c.token == "") != (c.phoneNumberID == "") {
		return c, errors.New("set both WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID to use the Graph API, or neither to use the simulator")
	}
	return c, nil
}

func (c config) simulated() bool { return c.token == "" }
