package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
