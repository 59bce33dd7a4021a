package broadcast_test

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/impactchat/impactchat/broadcast"
	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/keyring"
	"github.com/impactchat/impactchat/storage/memory"
	"github.com/impactchat/impactchat/storage/sqlite"
	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// BenchmarkCampaign1000PerSecond sends one campaign at 1,000 messages a
// second (Meta's top throughput tier) through the WhatsApp channel to the
// fake Graph API in process, and reports the rate the fake saw, the lowest
// count in any whole second, the CPU time per thousand messages, the heap in
// use once the store is seeded (store-heap-MB: with the memory store, every
// contact, consent state and recipient lives there) and the peak heap during
// the campaign. The CPU and heap include the fake and its HTTP handling.
//
// BROADCAST_BENCH_RECIPIENTS sets the campaign's size (default 10,000; the
// figures for 100,000 take about two minutes a store). Run with -benchtime=1x:
// one iteration is one whole campaign.
func BenchmarkCampaign1000PerSecond(b *testing.B) {
	n := 10_000
	if v := os.Getenv("BROADCAST_BENCH_RECIPIENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("BROADCAST_BENCH_RECIPIENTS=%q: want a positive number", v)
		}
	}
	b.Run("store=memory", func(b *testing.B) {
		benchCampaign(b, n, func(b *testing.B) storage.Store { return memory.New() })
	})
	for _, sync := range []string{"full", "normal"} {
		b.Run("store=sqlite/synchronous="+sync, func(b *testing.B) {
			benchCampaign(b, n, func(b *testing.B) storage.Store {
				secret := make([]byte, 32)
				rand.Read(secret)
				ring, err := keyring.New(secret)
				if err != nil {
					b.Fatal(err)
				}
				st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "line.db"), sqlite.WithKeyring(ring), sqlite.WithSynchronous(sync))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { st.Close() })
				return st
			})
		})
	}
}

func benchCampaign(b *testing.B, n int, open func(*testing.B) storage.Store) {
	const rate = 1000
	for range b.N {
		b.StopTimer()
		ctx := b.Context()
		st := open(b)
		now := time.Now()
		seed(b, ctx, st, n, now, false, allConsent(now))

		var (
			mu    sync.Mutex
			times = make([]time.Time, 0, n)
		)
		srv := whatsapptest.NewServer(whatsapptest.WithThroughput(rate), whatsapptest.WithOnSend(func(s whatsapptest.Sent) {
			mu.Lock()
			times = append(times, s.Time)
			mu.Unlock()
		}))
		client, err := srv.NewClient(whatsapp.WithoutPacing(), whatsapp.WithRetryPolicy(whatsapp.RetryPolicy{MaxAttempts: 1}))
		if err != nil {
			b.Fatal(err)
		}
		channel, err := whatsapp.NewChannel(client, chat.ContactWindow{Contacts: st.Contacts()})
		if err != nil {
			b.Fatal(err)
		}
		var retries atomic.Int64
		counted := func(err error) broadcast.Outcome {
			o := classify(err)
			if o.Action == broadcast.Retry {
				retries.Add(1)
			}
			return o
		}
		r, err := broadcast.New(st, channel, broadcast.WithClassifier(counted),
			broadcast.WithThroughput(rate), broadcast.WithShare(1), broadcast.WithWorkers(64))
		if err != nil {
			b.Fatal(err)
		}
		spec := alertSpec()
		spec.Line = whatsapptest.DefaultPhoneNumberID
		c, err := r.Start(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}

		// The fake keeps every request; forget them as the campaign goes so
		// that the heap measured is the campaign's.
		stop := make(chan struct{})
		var peak uint64
		var wg sync.WaitGroup
		wg.Go(func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(250 * time.Millisecond):
				}
				srv.Reset()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		})
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		cpu0 := cpuTime()
		b.StartTimer()
		p, err := r.Run(ctx, c.ID)
		b.StopTimer()
		cpu := cpuTime() - cpu0
		close(stop)
		wg.Wait()
		srv.Close()
		if err != nil {
			b.Fatal(err)
		}
		if p.Reached() != n {
			b.Fatalf("reached %d of %d: %+v", p.Reached(), n, p)
		}
		mu.Lock()
		first, last := times[0], times[len(times)-1]
		perSecond := map[int64]int{}
		for _, t := range times {
			perSecond[int64(t.Sub(first)/time.Second)]++
		}
		mu.Unlock()
		lowest := n
		for s := int64(0); s < int64(last.Sub(first)/time.Second); s++ { // whole seconds only
			lowest = min(lowest, perSecond[s])
		}
		b.ReportMetric(float64(n-1)/last.Sub(first).Seconds(), "msg/s")
		b.ReportMetric(float64(lowest), "min-msg/s")
		b.ReportMetric(cpu.Seconds()*1000/float64(n)*1000, "cpu-ms/1k-msg")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(base.HeapInuse)/(1<<20), "store-heap-MB")
		b.ReportMetric(float64(n), "recipients")
		b.ReportMetric(float64(retries.Load()), "retries")
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
