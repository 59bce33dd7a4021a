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
	for _, pacing := range []bool{false, true} {
		name := "pacing=off"
		opts := []whatsapp.Option{whatsapp.WithHTTPClient(&http.Client{Transport: staticOK{}})}
		if pacing {
			// Paced at the top rate Meta grants (1000/s), the pair limit
			// loosened: the client must keep up with the limiter, so the
			// figure should read 1000 sends/s.
			name = "pacing=1000/s"
			opts = append(opts, whatsapp.WithRateLimit(1000), whatsapp.WithPairRateLimit(time.Millisecond, 1000))
		} else {
			opts = append(opts, whatsapp.WithoutPacing())
		}
		b.Run(name, func(b *testing.B) {
			c, err := whatsapp.New("tok", opts...)
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
		})
	}
}
