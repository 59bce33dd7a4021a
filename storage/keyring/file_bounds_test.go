package keyring

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A key file is a few hundred bytes: one far larger is refused without
// being read whole (it was, with os.ReadFile). Not parallel: it measures
// the bytes allocated.
func TestKeyFileReadIsBounded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20 // sparse: takes no disk
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = FromFile(p)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a 64 MiB key file of zeros was accepted")
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 4<<20 { // under -race too; the file is 64 MiB
		t.Fatalf("FromFile allocated %d bytes to refuse a %d-byte key file (%v)", allocated, size, err)
	}
}

// A line longer than the scanner's 64 KiB buffer is refused naming the line
// and the limit (it said "bufio.Scanner: token too long").
func TestKeyFileLongLineErrorNamesLineAndLimit(t *testing.T) {
	t.Parallel()
	data := "index " + strings.Repeat("A", 70<<10) + "\n"
	_, err := Parse([]byte(data))
	if err == nil {
		t.Fatal("accepted")
	}
	if !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("error for a 70 KiB line names neither the line nor the limit: %v", err)
	}
}
