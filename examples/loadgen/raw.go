package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/impactchat/impactchat/whatsapp/webhook/webhooktest"
)

// rawClient plays Meta's side of the webhook: it writes requests built in
// advance on kept-alive connections and reads the status of each answer.
// Go's http.Client would spend more of the machine on its own bookkeeping
// than the webhook spends on the request; this keeps the generator's share
// of the CPU small, so that what is measured is the pipeline.
type rawClient struct {
	addr  string
	conns chan *rawConn // idle connections
}

type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func newRawClient(addr string, size int) *rawClient {
	return &rawClient{addr: addr, conns: make(chan *rawConn, size)}
}

// rawRequest is the bytes of one signed webhook POST.
func rawRequest(host, path string, body []byte, signature string) []byte {
	head := "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: loadgen\r\nContent-Type: application/json\r\n" +
		webhooktest.SignatureHeader + ": " + signature + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	return append([]byte(head), body...)
}

// do sends req and returns the answer's status code.
func (rc *rawClient) do(ctx context.Context, req []byte) (int, error) {
	var conn *rawConn
	select {
	case conn = <-rc.conns:
	default:
		d := net.Dialer{Timeout: 10 * time.Second}
		c, err := d.DialContext(ctx, "tcp", rc.addr)
		if err != nil {
			return 0, err
		}
		conn = &rawConn{c: c, r: bufio.NewReaderSize(c, 4096)}
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.c.SetDeadline(deadline)
	} else {
		_ = conn.c.SetDeadline(time.Now().Add(30 * time.Second))
	}
	if _, err := conn.c.Write(req); err != nil {
		conn.c.Close()
		return 0, err
	}
	resp, err := http.ReadResponse(conn.r, nil)
	if err != nil {
		conn.c.Close()
		return 0, err
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		conn.c.Close()
		return 0, fmt.Errorf("reading the answer: %w", err)
	}
	resp.Body.Close()
	if resp.Close {
		conn.c.Close()
		return resp.StatusCode, nil
	}
	select {
	case rc.conns <- conn:
	default:
		conn.c.Close()
	}
	return resp.StatusCode, nil
}

func (rc *rawClient) close() {
	for {
		select {
		case c := <-rc.conns:
			c.c.Close()
		default:
			return
		}
	}
}
