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

	// Groups lists each member's groups by account id (postgres.Store.BenchMemberships),
	// for the group stream: a member of some group, then one of their groups, at random.
	Groups map[int64][]int64
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

// request is one page to build: whose, and of which stream.
type request struct {
	viewer ruche.User
	stream ruche.Stream
}

// Bench builds the first page of stream kind for members drawn at random, a different
// one for each request (so nothing can be cached per viewer), and reports the latency.
// For the group stream, the member is drawn among those in some group (o.Groups), and
// the group among theirs. It fails on the first error.
func Bench(ctx context.Context, tl Timelines, users []ruche.User, kind ruche.StreamKind, o BenchOptions) (BenchResult, error) {
	if kind == ruche.StreamGroup {
		users = slices.DeleteFunc(slices.Clone(users), func(u ruche.User) bool { return len(o.Groups[u.ID]) == 0 })
		if len(users) == 0 {
			return BenchResult{}, errors.New("bench: no member belongs to a group (seed the database with groups: ruche dev seed --groups N)")
		}
	}
	if len(users) == 0 {
		return BenchResult{}, errors.New("bench: no members (seed the database first: ruche dev seed)")
	}
	o.Concurrency = max(o.Concurrency, 1)
	r := rand.New(rand.NewPCG(o.Seed, uint64(len(kind))))
	reqs := make([]request, o.Warmup+o.Requests)
	for i := range reqs {
		u := users[r.IntN(len(users))]
		reqs[i] = request{viewer: u, stream: ruche.Stream{Kind: kind}}
		if kind == ruche.StreamGroup {
			reqs[i].stream.AccountID = pick(r, o.Groups[u.ID])
		}
	}
	if _, _, err := run(ctx, tl, reqs[:o.Warmup], o.Concurrency); err != nil {
		return BenchResult{}, err
	}
	start := time.Now()
	took, posts, err := run(ctx, tl, reqs[o.Warmup:], o.Concurrency)
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

// run makes the requests with so many at once and returns each latency.
func run(ctx context.Context, tl Timelines, reqs []request, concurrency int) ([]time.Duration, int, error) {
	took := make([]time.Duration, len(reqs))
	counts := make([]int, len(reqs))
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
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				q := reqs[i]
				t := time.Now()
				posts, err := tl.Timeline(ctx, q.viewer, q.stream, ruche.Page{Limit: 20})
				took[i], counts[i] = time.Since(t), len(posts)
				if err != nil {
					errs[w] = fmt.Errorf("bench: %s stream %d of @%s: %w", q.stream.Kind, q.stream.AccountID, q.viewer.Username, err)
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
