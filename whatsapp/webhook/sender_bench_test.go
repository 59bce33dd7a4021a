package webhook_test

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/impactchat/impactchat/whatsapp/webhook"
)

// senderEnv, when set to a server address, turns TestLoopbackSender into
// the sender of BenchmarkHandlerLoopbackProcess.
const senderEnv = "IMPACTCHAT_WEBHOOK_SENDER"

// senderConns is the number of keep-alive connections the sender process
// keeps, each with one request in flight.
const senderConns = 32

// BenchmarkHandlerLoopbackProcess is BenchmarkHandlerLoopbackRaw with the
// sender in a process of its own (this test binary, run again), so that the
// benchmark process is the server alone: cpu-ns/op is the server's CPU per
// delivery (net/http and the handler), sender-cpu-ns/op the sender's.
//
//	go test -run='^$' -bench=HandlerLoopbackProcess -benchtime=3s -count=3 ./whatsapp/webhook/
func BenchmarkHandlerLoopbackProcess(b *testing.B) {
	sink := &countingSink{seen: map[string]struct{}{}}
	h, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, VerifyToken: verifyToken}, sink)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	cmd := exec.Command(os.Args[0], "-test.run=^TestLoopbackSender$", "-test.count=1")
	cmd.Env = append(os.Environ(), senderEnv+"="+addr, "IMPACTCHAT_WEBHOOK_SENDS="+strconv.Itoa(b.N))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	out := bufio.NewScanner(stdout)
	// The sender connects and renders its requests, then says "ready" and
	// waits for the word to start.
	if !out.Scan() || out.Text() != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.Fatalf("sender did not start: %q", out.Text())
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	if _, err := fmt.Fprintln(stdin, "go"); err != nil {
		b.Fatal(err)
	}
	var lines []string
	for out.Scan() {
		lines = append(lines, out.Text())
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("sender: %v %q", err, lines)
	}
	b.StopTimer()
	cpu.report(b, "deliveries")
	if st := cmd.ProcessState; st != nil && b.N > 0 {
		used := st.UserTime() + st.SystemTime()
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "sender-cpu-ns/op")
	}
}

// TestLoopbackSender is the sender process of
// BenchmarkHandlerLoopbackProcess; it skips unless started by it.
func TestLoopbackSender(t *testing.T) {
	addr := os.Getenv(senderEnv)
	if addr == "" {
		t.Skip("the sender of BenchmarkHandlerLoopbackProcess; runs only when started by it")
	}
	total, err := strconv.ParseInt(os.Getenv("IMPACTCHAT_WEBHOOK_SENDS"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	reqs := rawRequests(addr)
	conns := make([]*rawConn, senderConns)
	for i := range conns {
		if conns[i], err = dialRaw(addr); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(conns))
	for _, c := range conns {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > total {
					return
				}
				if err := c.post(reqs[i%int64(len(reqs))]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
