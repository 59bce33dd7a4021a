package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/flow/flowtest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage:
  playbook lint FILE...                 check playbooks (exit status 1 on errors)
  playbook translations [-csv] FILE...  list missing translations per language
                                        (-csv: every text, one column per language)
  playbook try [flags] FILE [FILE...]   chat with the first playbook in the terminal
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "lint":
		return lint(args[1:], stdout, stderr)
	case "translations":
		return translations(args[1:], stdout, stderr)
	case "try":
		return try(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "playbook: unknown command %q\n%s", args[0], usage)
	return 2
}

// open returns a file system and a name in it for a path given on the
// command line: relative paths stay relative, so that errors show them as
// typed.
func open(p string) (fs.FS, string) {
	clean := filepath.ToSlash(filepath.Clean(p))
	if !filepath.IsAbs(p) && fs.ValidPath(clean) {
		return os.DirFS("."), clean
	}
	return os.DirFS(filepath.Dir(p)), filepath.Base(p)
}

func load(p string) (*flow.Playbook, fs.FS, error) {
	fsys, name := open(p)
	pb, err := flow.Load(fsys, name)
	return pb, fsys, err
}

func lint(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprint(stderr, "playbook lint: name at least one file\n")
		return 2
	}
	failed := false
	ids := map[string]bool{}
	var loaded []*flow.Playbook
	for _, f := range files {
		pb, fsys, err := load(f)
		if err == nil {
			err = flow.Validate(pb, fsys)
		}
		var ps flow.Problems
		switch {
		case errors.As(err, &ps):
			for _, p := range ps {
				fmt.Fprintln(stdout, p)
			}
			failed = true
		case err != nil:
			fmt.Fprintf(stdout, "%s: %v\n", f, err)
			failed = true
		}
		if pb != nil {
			ids[pb.ID] = true
			loaded = append(loaded, pb)
		}
	}
	linked := true
	for _, pb := range loaded {
		for _, n := range pb.Nodes {
			if n.Kind == flow.KindStart && !ids[n.Playbook] {
				fmt.Fprintf(stdout, "%s: note: node %q starts playbook %q, which is not among the files given; give its file too to check the link\n", n.Pos, n.ID, n.Playbook)
				linked = false
			}
		}
	}
	if !failed && linked {
		// What only the files together show, as the line will load them:
		// playbooks that start each other with no question between, runs
		// too long across start nodes, one version given twice.
		_, err := flow.NewLibrary(loaded...)
		var ps flow.Problems
		switch {
		case errors.As(err, &ps):
			for _, p := range ps {
				fmt.Fprintln(stdout, p)
			}
			failed = true
		case err != nil:
			fmt.Fprintf(stdout, "%v\n", err)
			failed = true
		}
	}
	if failed {
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d playbook(s) checked\n", len(files))
	return 0
}

func translations(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("translations", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asCSV := fl.Bool("csv", false, "write every text with one column per language, for translators")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	files := fl.Args()
	if len(files) == 0 {
		fmt.Fprint(stderr, "playbook translations: name at least one file\n")
		return 2
	}
	status := 0
	for _, f := range files {
		pb, _, err := load(f)
		if err != nil {
			fmt.Fprintf(stdout, "%v\n", err)
			status = 1
			continue
		}
		if *asCSV {
			if err := writeCSV(stdout, pb); err != nil {
				fmt.Fprintf(stderr, "playbook translations: %v\n", err)
				return 1
			}
			continue
		}
		missing := flow.Missing(pb)
		counts := map[string]int{}
		for _, m := range missing {
			for _, l := range m.Langs {
				counts[l]++
			}
		}
		fmt.Fprintf(stdout, "%s (%s v%d)\n", f, pb.ID, pb.Version)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  language\tmissing")
		for _, l := range pb.Languages {
			fmt.Fprintf(tw, "  %s\t%d\n", l, counts[l])
		}
		if err := tw.Flush(); err != nil {
			return 1
		}
		for _, m := range missing {
			fmt.Fprintf(stdout, "  %s: %s: missing %s\n", m.Pos, m.Where, strings.Join(m.Langs, ", "))
		}
		if len(missing) > 0 {
			status = 1
		}
	}
	return status
}

// writeCSV writes one row per text: where it is, its position, then its
// translation in each language of the playbook (empty when missing).
func writeCSV(w io.Writer, pb *flow.Playbook) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"where", "position"}, pb.Languages...)); err != nil {
		return err
	}
	for _, e := range flow.Texts(pb) {
		row := []string{e.Where, e.Pos.String()}
		for _, l := range pb.Languages {
			s := ""
			if e.Text.Has(l) {
				s = e.Text.Get(l, "")
			}
			row = append(row, s)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type fieldFlags map[string]string

func (f fieldFlags) String() string { return "" }
func (f fieldFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q should be name=value", s)
	}
	f[k] = v
	return nil
}

func try(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("try", flag.ContinueOnError)
	fl.SetOutput(stderr)
	lang := fl.String("lang", "", "the person's language, e.g. es")
	at := fl.String("time", "", "the clock, RFC 3339 (default: now)")
	fields := fieldFlags{}
	fl.Var(fields, "field", "a contact field, name=value (repeatable)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprint(stderr, "playbook try: name the playbook file\n")
		return 2
	}
	var pbs []*flow.Playbook
	for _, f := range fl.Args() {
		pb, fsys, err := load(f)
		if err == nil {
			err = flow.Validate(pb, fsys)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		pbs = append(pbs, pb)
	}
	lib, err := flow.NewLibrary(pbs...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	now := time.Now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			fmt.Fprintf(stderr, "playbook try: -time: %v\n", err)
			return 2
		}
	}
	c := flowtest.New(lib, now)
	c.Language = *lang
	for k, v := range fields {
		c.Fields[k] = v
	}
	interactive := isTerminal(stdin)
	if interactive {
		fmt.Fprintf(stdout, "Chatting with %q. Type as the person would; numbers choose options.\n!tap ID, !photo, !lang xx, !field k=v; Ctrl-D to stop.\n", pbs[0].Title)
	}
	sc := bufio.NewScanner(stdin)
	for {
		if interactive {
			fmt.Fprint(stdout, "you> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !interactive {
			fmt.Fprintf(stdout, "> %s\n", line)
		}
		events, err := c.Do(line)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if err := flowtest.Write(stdout, events); err != nil {
			return 1
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("an input line is longer than %d bytes", bufio.MaxScanTokenSize)
		}
		fmt.Fprintln(stderr, "try: read input:", err)
		return 1
	}
	if interactive {
		fmt.Fprintln(stdout)
	}
	return 0
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
