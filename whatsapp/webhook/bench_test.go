package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/whatsapp/webhook"
	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// typicalPayload is one inbound text message, as Meta sends it (about 500
// bytes).
func typicalPayload(id string) []byte {
	return webhooktest.TextPayload(webhooktest.TextMessage{
		Line: "106540352242922", From: "16505551234", ProfileName: "Sheena Nelson",
		ID: id, Body: "Bonjour, où se trouve le bureau le plus proche ?", Time: time.Unix(1749416383, 0),
	})
}

// BenchmarkVerifyParse is the work of one delivery without HTTP: verify the
// signature, parse, convert to events.
func BenchmarkVerifyParse(b *testing.B) {
	body := typicalPayload("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
	sig := webhooktest.Sign(body, secret)
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := webhook.VerifySignature(body, sig, secret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := webhook.Parse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify+parse+events", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		cpu := startCPU()
		for b.Loop() {
			if err := webhook.VerifySignature(body, sig, secret); err != nil {
				b.Fatal(err)
			}
			n, err := webhook.Parse(body)
			if err != nil {
				b.Fatal(err)
			}
			if len(n.Events()) != 1 {
				b.Fatal("no event")
			}
		}
		cpu.report(b, "payloads")
	})
}

// BenchmarkHandlerServeHTTP is the handler's own work for one delivery,
// without the network: read the body, verify, parse, convert, hand to an
// in-memory sink, answer.
func BenchmarkHandlerServeHTTP(b *testing.B) {
	sink := &countingSink{seen: map[string]struct{}{}}
	h, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, VerifyToken: verifyToken}, sink)
	if err != nil {
		b.Fatal(err)
	}
	body := typicalPayload("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
	sig := webhooktest.Sign(body, secret)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest(http.MethodPost, "/webhook", rd)
	req.Header.Set(webhooktest.SignatureHeader, sig)
	w := &discardResponse{h: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	cpu := startCPU()
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
	cpu.report(b, "deliveries")
}

// discardResponse is an http.ResponseWriter that keeps only the status.
type discardResponse struct {
	h    http.Header
	code int
}

func (d *discardResponse) Header() http.Header         { return d.h }
func (d *discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardResponse) WriteHeader(code int)        { d.code = code }

// countingSink keeps events in memory, deduplicated by key.
type countingSink struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

func (s *countingSink) Accept(_ context.Context, evs []chat.Event) error {
	s.mu.Lock()
	for _, e := range evs {
		s.seen[e.Key()] = struct{}{}
	}
	s.mu.Unlock()
	return nil
}

// loopbackBodies are the distinct deliveries the loopback benchmark sends.
type loopbackBodies [4096][]byte

// loopbackDeliveries builds the deliveries once for every run of the
// benchmark, so that building them adds no garbage to the measured part.
var loopbackDeliveries = sync.OnceValues(func() (*loopbackBodies, []string) {
	var bodies loopbackBodies
	sigs := make([]string, len(bodies))
	for i := range bodies {
		bodies[i] = typicalPayload("wamid.bench" + strconv.Itoa(i))
		sigs[i] = webhooktest.Sign(bodies[i], secret)
	}
	return &bodies, sigs
})

// BenchmarkHandlerLoopback posts signed one-message deliveries to the
// handler over loopback HTTP/1.1 with keep-alive, from 16 concurrent
// senders per CPU, into an in-memory sink.
func BenchmarkHandlerLoopback(b *testing.B) {
	sink := &countingSink{seen: map[string]struct{}{}}
	h, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, VerifyToken: verifyToken}, sink)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	const conns = 64
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
	}}
	defer client.CloseIdleConnections()

	bodies, sigs := loopbackDeliveries()
	const distinct = int64(len(loopbackBodies{}))
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) % distinct
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhook", bytes.NewReader(bodies[i]))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(webhooktest.SignatureHeader, sigs[i])
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	cpu.report(b, "deliveries")
}

type cpuClock time.Duration

func startCPU() cpuClock { return cpuClock(cpuTime()) }

// report adds the throughput in wall-clock time (what this machine did,
// busy as it may be) and in CPU time (what one core does when it is not
// shared): <unit>/s and <unit>/cpu-s, with cpu-ns/op. The CPU time covers
// the whole process: for the loopback benchmark, client and server.
func (c cpuClock) report(b *testing.B, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
	used := cpuTime() - time.Duration(c)
	if used <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/used.Seconds(), unit+"/cpu-s")
}

// BenchmarkHandlerLoopbackRaw is BenchmarkHandlerLoopback with the sender
// that stands in for Meta reduced to what it must do, so that the figure is
// mostly the server's: a real net/http server with the real handler, and
// senders that each keep one HTTP/1.1 connection alive, write pre-signed
// requests one at a time and read every response to its end, requiring 200.
func BenchmarkHandlerLoopbackRaw(b *testing.B) {
	sink := &countingSink{seen: map[string]struct{}{}}
	h, err := webhook.NewHandler(webhook.Config{Secrets: []string{secret}, VerifyToken: verifyToken}, sink)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	reqs := rawRequests(srv.Listener.Addr().String())
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		c, err := dialRaw(srv.Listener.Addr().String())
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			if err := c.post(reqs[next.Add(1)%int64(len(reqs))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	cpu.report(b, "deliveries")
}

// rawRequests renders every loopback delivery as the bytes of a complete
// signed HTTP/1.1 request for host.
func rawRequests(host string) [][]byte {
	bodies, sigs := loopbackDeliveries()
	reqs := make([][]byte, len(bodies))
	for i, body := range bodies {
		var r bytes.Buffer
		r.WriteString("POST /webhook HTTP/1.1\r\nHost: " + host + "\r\n")
		r.WriteString("User-Agent: facebookexternalua\r\nContent-Type: application/json\r\n")
		r.WriteString(webhooktest.SignatureHeader + ": " + sigs[i] + "\r\n")
		r.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
		r.Write(body)
		reqs[i] = r.Bytes()
	}
	return reqs
}

// rawConn is one keep-alive HTTP/1.1 connection that sends one request at a
// time and reads its response completely.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(addr string) (*rawConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rawConn{Conn: c, r: bufio.NewReaderSize(c, 4096)}, nil
}

// post writes req and reads the response: it fails unless the status is
// 200, the length is given by Content-Length, the server keeps the
// connection open, and the whole body arrives.
func (c *rawConn) post(req []byte) error {
	if _, err := c.Write(req); err != nil {
		return err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", bytes.TrimSpace(line))
	}
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return fmt.Errorf("header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return fmt.Errorf("content-length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return fmt.Errorf("transfer-encoding %q: want a Content-Length", value)
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			return errors.New("server closes the connection")
		}
	}
	if length < 0 {
		return errors.New("response without Content-Length")
	}
	_, err = c.r.Discard(length)
	return err
}
