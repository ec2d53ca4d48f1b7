package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Timelines builds stream pages as a member sees them: ruche.Posts, the use case the
// web UI calls, or a store.
type Timelines interface {
	Timeline(ctx context.Context, u ruche.User, s ruche.Stream, p ruche.Page) ([]ruche.Post, error)
}

// BenchOptions say how to measure one stream.
type BenchOptions struct {
	Requests    int    // measured requests
	Concurrency int    // requests in flight at once
	Warmup      int    // requests made first and not measured
	Seed        uint64 // which members are drawn
}

// BenchResult is the latency of building one stream's first page (20 posts).
type BenchResult struct {
	Stream                   ruche.StreamKind
	Requests                 int
	Mean, P50, P95, P99, Max time.Duration
	PerSecond                float64
	Posts                    int // posts returned in all, to show the pages were not empty
}

func (r BenchResult) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("%-8s n=%d  mean=%sms  p50=%sms  p95=%sms  p99=%sms  max=%sms  %.0f req/s  (%.1f posts/page)",
		r.Stream, r.Requests, ms(r.Mean), ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), r.PerSecond,
		float64(r.Posts)/float64(max(r.Requests, 1)))
}

// Bench builds the first page of stream kind for members drawn at random, a different
// one for each request (so nothing can be cached per viewer), and reports the latency.
// It fails on the first error.
func Bench(ctx context.Context, tl Timelines, users []ruche.User, kind ruche.StreamKind, o BenchOptions) (BenchResult, error) {
	if len(users) == 0 {
		return BenchResult{}, errors.New("bench: no members (seed the database first: ruche dev seed)")
	}
	o.Concurrency = max(o.Concurrency, 1)
	r := rand.New(rand.NewPCG(o.Seed, uint64(len(kind))))
	viewers := make([]ruche.User, o.Warmup+o.Requests)
	for i := range viewers {
		viewers[i] = users[r.IntN(len(users))]
	}
	if _, _, err := run(ctx, tl, viewers[:o.Warmup], kind, o.Concurrency); err != nil {
		return BenchResult{}, err
	}
	start := time.Now()
	took, posts, err := run(ctx, tl, viewers[o.Warmup:], kind, o.Concurrency)
	if err != nil {
		return BenchResult{}, err
	}
	wall := time.Since(start)
	res := BenchResult{Stream: kind, Requests: len(took), Posts: posts, PerSecond: float64(len(took)) / wall.Seconds()}
	if len(took) == 0 {
		return res, nil
	}
	slices.Sort(took)
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	q := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))] }
	res.Mean, res.P50, res.P95, res.P99, res.Max = sum/time.Duration(len(took)), q(0.50), q(0.95), q(0.99), took[len(took)-1]
	return res, nil
}

// run makes one request per viewer with so many at once and returns each latency.
func run(ctx context.Context, tl Timelines, viewers []ruche.User, kind ruche.StreamKind, concurrency int) ([]time.Duration, int, error) {
	took := make([]time.Duration, len(viewers))
	counts := make([]int, len(viewers))
	errs := make([]error, concurrency)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(viewers) || ctx.Err() != nil {
					return
				}
				t := time.Now()
				posts, err := tl.Timeline(ctx, viewers[i], ruche.Stream{Kind: kind}, ruche.Page{Limit: 20})
				took[i], counts[i] = time.Since(t), len(posts)
				if err != nil {
					errs[w] = fmt.Errorf("bench: %s stream of @%s: %w", kind, viewers[i].Username, err)
					return
				}
			}
		})
	}
	wg.Wait()
	n := 0
	for _, c := range counts {
		n += c
	}
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return nil, 0, err
	}
	return took, n, nil
}
