package whatsapp

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxPairs is how many per-recipient limiters are kept before idle ones
// (whose bucket has refilled, so forgetting them changes nothing) are
// dropped.
const maxPairs = 10000

// pacer spaces sends: per business number (throughput) and per number and
// recipient (Meta's pair rate limit).
type pacer struct {
	perSecond float64
	pairEvery time.Duration
	pairBurst int

	mu      sync.Mutex
	numbers map[string]*rate.Limiter
	pairs   map[string]*rate.Limiter
}

func newPacer(perSecond int, pairEvery time.Duration, pairBurst int) *pacer {
	return &pacer{
		perSecond: float64(perSecond),
		pairEvery: pairEvery,
		pairBurst: pairBurst,
		numbers:   map[string]*rate.Limiter{},
		pairs:     map[string]*rate.Limiter{},
	}
}

func (p *pacer) limiters(now time.Time, number, recipient string) (num, pair *rate.Limiter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	num = p.numbers[number]
	if num == nil {
		// Burst 1: sends are spread evenly, so no one-second window ever
		// holds more than the limit.
		num = rate.NewLimiter(rate.Limit(p.perSecond), 1)
		p.numbers[number] = num
	}
	if recipient == "" {
		return num, nil
	}
	key := number + "\x00" + recipient
	pair = p.pairs[key]
	if pair == nil {
		if len(p.pairs) >= maxPairs {
			for k, l := range p.pairs {
				if l.TokensAt(now) >= float64(p.pairBurst) {
					delete(p.pairs, k)
				}
			}
		}
		pair = rate.NewLimiter(rate.Every(p.pairEvery), p.pairBurst)
		p.pairs[key] = pair
	}
	return num, pair
}

// wait blocks until a message from number to recipient may be sent.
func (p *pacer) wait(ctx context.Context, clk Clock, number, recipient string) error {
	num, pair := p.limiters(clk.Now(), number, recipient)
	if pair != nil {
		if err := reserve(ctx, clk, pair); err != nil {
			return err
		}
	}
	return reserve(ctx, clk, num)
}

func reserve(ctx context.Context, clk Clock, l *rate.Limiter) error {
	now := clk.Now()
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d == 0 {
		return nil
	}
	if err := sleep(ctx, clk, d); err != nil {
		r.CancelAt(clk.Now())
		return err
	}
	return nil
}
