package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// -content DIR reads no more of DIR/line.yaml than parseLine accepts
// (maxLineFile): a huge line.yaml (or a special file) was read whole into
// memory before its size was checked.
func TestLineFileReadIsBounded(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "line.yaml"))
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
	c, err := findContent(dir)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	if allocated > 16*maxLineFile { // under -race too; the file is 64 MiB
		t.Fatalf("findContent allocated %d bytes for a %d-byte line.yaml (limit %d; held %d bytes, err %v)",
			allocated, size, maxLineFile, len(c.line), err)
	}
}
