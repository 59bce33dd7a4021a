package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/storage/sqlite"
)

// BenchmarkContactLookup looks contacts up by identifier (blind index, then
// unsealing) in a store holding many of them: 10,000 by default, or the
// number in IMPACTCHAT_BENCH_CONTACTS (1000000 for the figure in the
// benchmarks). It reports the p50 and p99 latency of one lookup and the
// database file's size per contact.
func BenchmarkContactLookup(b *testing.B) {
	n := 10000
	if v := os.Getenv("IMPACTCHAT_BENCH_CONTACTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("IMPACTCHAT_BENCH_CONTACTS=%q is not a positive number", v)
		}
	}
	ctx := b.Context()
	path := filepath.Join(b.TempDir(), "contacts.db")
	st, err := sqlite.Open(ctx, path, sqlite.WithKeyring(testKeyring(b)), sqlite.WithSynchronous("normal"))
	if err != nil {
		b.Fatal(err)
	}
	ref := func(i int) storage.ContactRef {
		return storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("4915%09d", i)}
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	start := time.Now()
	const chunk = 20000
	for from := 0; from < n; from += chunk {
		refs := make([]storage.ContactRef, 0, chunk)
		for i := from; i < min(from+chunk, n); i++ {
			refs = append(refs, ref(i))
		}
		if _, err := st.ImportContacts(ctx, refs, at); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d contacts imported in %v", n, time.Since(start).Round(time.Second))
	// Close to checkpoint the write-ahead log into the file, then reopen.
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	st, err = sqlite.Open(ctx, path, sqlite.WithKeyring(testKeyring(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	var lat []time.Duration
	for b.Loop() {
		r := ref(rng.IntN(n))
		t := time.Now()
		c, err := st.Contacts().Get(ctx, r)
		lat = append(lat, time.Since(t))
		if err != nil || c.Ref != r {
			b.Fatalf("lookup: %v", err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(info.Size())/float64(n), "file-bytes/contact")
	b.ReportMetric(float64(n), "contacts")
}

// BenchmarkTouchConversation touches 10,000 known contacts from 64
// goroutines, as a busy line's handlers do, with each touch a second after
// the contact's last (a conversation: within storage.TouchSlack) or an
// hour after (someone writing again later). It reports the write system
// calls per touch (Linux's /proc/self/io), which a touch that writes
// nothing does not make.
func BenchmarkTouchConversation(b *testing.B) {
	for _, step := range []time.Duration{time.Second, time.Hour} {
		b.Run("after="+step.String(), func(b *testing.B) {
			const n = 10000
			ctx := storage.WithRelaxedWrites(b.Context())
			st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "touch.db"), sqlite.WithKeyring(testKeyring(b)))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			ref := func(i int) storage.ContactRef {
				return storage.ContactRef{Channel: "whatsapp", Identifier: fmt.Sprintf("4915%09d", i)}
			}
			at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			refs := make([]storage.ContactRef, n)
			for i := range refs {
				refs[i] = ref(i)
			}
			if _, err := st.ImportContacts(ctx, refs, at); err != nil {
				b.Fatal(err)
			}
			// In an order unrelated to the contacts' order in the table.
			order := rand.New(rand.NewPCG(1, 2)).Perm(n)
			var next atomic.Int64
			b.SetParallelism(32) // 64 goroutines on 2 cores
			w0 := writeCalls()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := int(next.Add(1)) - 1
					when := at.Add(time.Duration(k/n+1) * step)
					if _, err := st.Contacts().Touch(ctx, ref(order[k%n]), when); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if w0 >= 0 {
				b.ReportMetric(float64(writeCalls()-w0)/float64(b.N), "writes/op")
			}
		})
	}
}

// writeCalls is the process's count of write system calls so far, or -1
// where /proc/self/io is not there to read.
func writeCalls() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "syscw: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}
