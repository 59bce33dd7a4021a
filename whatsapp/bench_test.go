package whatsapp_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/impactchat/impactchat/whatsapp"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

func benchFake(b *testing.B) *whatsapptest.Server {
	srv := whatsapptest.NewServer(whatsapptest.WithoutWindow(), whatsapptest.WithThroughput(0), whatsapptest.WithPairLimit(0, 0))
	b.Cleanup(srv.Close)
	return srv
}

var benchText = whatsapp.Text{Envelope: whatsapp.Envelope{To: "+16505551234"}, Body: "Our office in Quito opens at 9:00. Bring your documents."}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkSendText sends text through the client to the in-process fake
// Graph API, with pacing off: the client and the fake together.
func BenchmarkSendText(b *testing.B) {
	srv := benchFake(b)
	c, err := srv.NewClient(whatsapp.WithoutPacing())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Messages.Send(b.Context(), whatsapptest.DefaultPhoneNumberID, benchText); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkSendTextParallel is BenchmarkSendText from GOMAXPROCS goroutines.
func BenchmarkSendTextParallel(b *testing.B) {
	srv := benchFake(b)
	c, err := srv.NewClient(whatsapp.WithoutPacing())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Messages.Send(b.Context(), whatsapptest.DefaultPhoneNumberID, benchText); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkSendTextLoopback sends over a real TCP connection to the fake.
func BenchmarkSendTextLoopback(b *testing.B) {
	srv := benchFake(b)
	c, err := whatsapp.New(whatsapptest.DefaultToken, whatsapp.WithBaseURL(srv.URL), whatsapp.WithoutPacing())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Messages.Send(b.Context(), whatsapptest.DefaultPhoneNumberID, benchText); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// staticOK answers every request with one send response and records
// nothing: what is measured is the client alone.
type staticOK struct{}

func (staticOK) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(okSend)), Request: r}, nil
}

// BenchmarkClientSendText measures the client alone (validation, encoding,
// request, decoding) against a transport that answers at once.
func BenchmarkClientSendText(b *testing.B) {
	c, err := whatsapp.New("tok", whatsapp.WithHTTPClient(&http.Client{Transport: staticOK{}}), whatsapp.WithoutPacing())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Messages.Send(b.Context(), "106540352242922", benchText); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkPacedAt1000 paces sends at the top rate Meta grants (1000/s)
// from 16 goroutines, as a broadcast would: the figure should read
// 1000 sends/s, showing that the client keeps up with its own limiter.
func BenchmarkPacedAt1000(b *testing.B) {
	c, err := whatsapp.New("tok", whatsapp.WithHTTPClient(&http.Client{Transport: staticOK{}}),
		whatsapp.WithRateLimit(1000), whatsapp.WithPairRateLimit(time.Millisecond, 1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Messages.Send(b.Context(), "106540352242922", benchText); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}
