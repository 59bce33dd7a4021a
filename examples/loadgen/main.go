package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/impactchat/impactchat/internal/loadgen"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/storage/sqlite"
)

type options struct {
	stores      []string
	count       int
	duration    time.Duration
	rate        float64
	concurrency int
	contacts    int
	known       bool
	workers     int
	apiLatency  time.Duration
	sqliteSync  string
	postgresURL string
	pgConns     int
	verbose     bool
	cpuProfile  string
	memProfile  string
	runs        int
}

// maxRuns bounds -runs.
const maxRuns = 50

func main() {
	var o options
	var stores string
	flag.StringVar(&stores, "stores", "memory,sqlite", "stores to measure, comma-separated: memory, sqlite, postgres")
	flag.IntVar(&o.count, "n", 50000, "messages to deliver per store, at most")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to deliver per store, at most")
	flag.Float64Var(&o.rate, "rate", 5000, "deliveries per second (0: as fast as -concurrency allows)")
	flag.IntVar(&o.concurrency, "concurrency", 512, "deliveries in flight at once, at most")
	flag.IntVar(&o.contacts, "contacts", 10000, "distinct people writing")
	flag.BoolVar(&o.known, "known", false, "the people have written before: the store knows them when the clock starts")
	flag.IntVar(&o.workers, "workers", 64, "chat.Server workers")
	flag.DurationVar(&o.apiLatency, "api-latency", 0, "delay of each fake Graph API answer")
	flag.StringVar(&o.sqliteSync, "sqlite-sync", "normal", "SQLite synchronous mode: normal or full")
	flag.StringVar(&o.postgresURL, "postgres", os.Getenv("IMPACTCHAT_TEST_POSTGRES"), "Postgres URL for the postgres store (on this machine)")
	flag.IntVar(&o.pgConns, "pg-conns", 32, "Postgres connections")
	flag.BoolVar(&o.verbose, "v", false, "log warnings from the pipeline to stderr")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the runs to this file")
	flag.StringVar(&o.memProfile, "memprofile", "", "write a profile of the runs' allocations to this file")
	flag.IntVar(&o.runs, "runs", 1, fmt.Sprintf("runs per store, each on a fresh store, with a summary of their spread (1-%d)", maxRuns))
	flag.Parse()
	o.stores = strings.Split(stores, ",")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, o options) error {
	plan := loadgen.Plan{Count: o.count, Duration: o.duration, Rate: o.rate, Concurrency: o.concurrency}
	if err := plan.Validate(); err != nil {
		return err
	}
	if o.contacts < 1 || o.workers < 1 {
		return fmt.Errorf("-contacts and -workers must be at least 1")
	}
	if o.runs == 0 {
		o.runs = 1
	}
	if o.runs < 1 || o.runs > maxRuns {
		return fmt.Errorf("-runs is %d; it must be from 1 to %d", o.runs, maxRuns)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.memProfile != "" {
		defer func() {
			f, err := os.Create(o.memProfile)
			if err != nil {
				fmt.Fprintln(os.Stderr, "loadgen: memprofile:", err)
				return
			}
			defer f.Close()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintln(os.Stderr, "loadgen: memprofile:", err)
			}
		}()
	}
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	fmt.Fprintf(out, "%s %s/%s, GOMAXPROCS=%d; offered %s, at most %d messages in %v, %d people, %d workers\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), rateText(o.rate), o.count, o.duration, o.contacts, o.workers)
	for _, name := range o.stores {
		name = strings.TrimSpace(name)
		var results []result
		for range o.runs {
			var (
				store      storage.Store
				closeStore func()
				err        error
			)
			// The store's own goroutines (the checkpointer, a pool's)
			// start here and do the line's work.
			pprof.Do(ctx, lineSide, func(ctx context.Context) { store, closeStore, err = openStore(ctx, name, o) })
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			res, err := runPipeline(ctx, pipelineConfig{
				Name: name, Store: store, Plan: plan, Contacts: o.contacts, Known: o.known, Workers: o.workers,
				APILatency: o.apiLatency, Settle: 60 * time.Second, RunID: runID(), Logger: logger,
			})
			closeStore()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			report(out, res)
			results = append(results, res)
		}
		if len(results) > 1 {
			reportRuns(out, name, results)
		}
	}
	return nil
}

// reportRuns summarises repeated runs of one store: on a shared machine
// one run can be a fifth faster or slower than the next.
func reportRuns(out io.Writer, name string, rs []result) {
	var thr, cpu, ack99, reply99 []float64
	for _, r := range rs {
		thr = append(thr, r.Throughput)
		cpu = append(cpu, float64(r.CPU.Microseconds()))
		ack99 = append(ack99, ms(r.Ack.P99))
		reply99 = append(reply99, ms(r.EndToEnd.P99))
	}
	fmt.Fprintf(out, "\n%s, %d runs (median, min - max; then each run in order):\n", name, len(rs))
	fmt.Fprintf(out, "  handled msg/s:  %s\n", spread(thr, "%.0f"))
	fmt.Fprintf(out, "  cpu µs/msg:     %s\n", spread(cpu, "%.0f"))
	fmt.Fprintf(out, "  ack p99 ms:     %s\n", spread(ack99, "%.1f"))
	fmt.Fprintf(out, "  reply p99 ms:   %s\n", spread(reply99, "%.1f"))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// spread renders the median, the range and every value of vs.
func spread(vs []float64, format string) string {
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		med = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	each := make([]string, len(vs))
	for i, v := range vs {
		each[i] = fmt.Sprintf(format, v)
	}
	return fmt.Sprintf(format+", "+format+" - "+format+"; %s", med, sorted[0], sorted[len(sorted)-1], strings.Join(each, ", "))
}

func rateText(r float64) string {
	if r == 0 {
		return "closed loop"
	}
	return fmt.Sprintf("%.0f msg/s", r)
}

func report(out io.Writer, r result) {
	fmt.Fprintf(out, "\n%s: delivered %d of %d started (%d failed, stopped by %s, max send lag %v), replied %d\n",
		r.Name, r.Delivered, r.Driven.Started, r.Driven.Failed, r.Driven.StoppedBy, r.Driven.MaxLag.Round(time.Microsecond), r.Replied)
	if r.Driven.FirstErr != nil {
		fmt.Fprintf(out, "  first delivery error: %v\n", r.Driven.FirstErr)
	}
	fmt.Fprintf(out, "  handled:          %.0f msg/s sustained (delivery of the first to reply to the last)\n", r.Throughput)
	if r.CPU > 0 {
		fmt.Fprintf(out, "  cpu:              %v per message (this process, all parts), so about %.0f msg/s per core\n",
			r.CPU.Round(time.Microsecond), float64(time.Second)/float64(r.CPU))
	}
	fmt.Fprintf(out, "  ack:              %s\n", r.Ack)
	fmt.Fprintf(out, "  ack (on the wire): %s\n", r.AckWire)
	fmt.Fprintf(out, "  delivery → reply: %s\n", r.EndToEnd)
	c := r.Counters
	fmt.Fprintf(out, "  server: accepted %d, duplicates %d, handled %d, retried %d, dead %d, mean handling %v\n",
		c.Accepted, c.Duplicate, c.Handled, c.Retried, c.Dead, c.MeanHandling.Round(time.Microsecond))
}

func runID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// openStore opens a fresh store of the named kind and returns how to close it.
func openStore(ctx context.Context, name string, o options) (storage.Store, func(), error) {
	switch name {
	case "memory":
		s := memory.New()
		return s, func() { _ = s.Close() }, nil
	case "sqlite":
		dir, err := os.MkdirTemp("", "impactchat-loadgen-")
		if err != nil {
			return nil, nil, err
		}
		ring, err := newRing()
		if err != nil {
			return nil, nil, err
		}
		s, err := sqlite.Open(ctx, filepath.Join(dir, "line.db"), sqlite.WithKeyring(ring), sqlite.WithSynchronous(o.sqliteSync))
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, nil, err
		}
		return s, func() { _ = s.Close(); _ = os.RemoveAll(dir) }, nil
	case "postgres":
		return openPostgres(ctx, o)
	}
	return nil, nil, fmt.Errorf("unknown store %q; give memory, sqlite or postgres", name)
}

func newRing() (storage.Keyring, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	return keyring.New(secret)
}
