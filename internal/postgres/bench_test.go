package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/seed"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// benchStore is the database at RUCHE_BENCH_URL, seeded beforehand with ruche dev seed
// (say 10,000 members, 500 groups and 1,000,000 posts), or else a small hive seeded
// here: enough to run the benchmark, not to measure at size.
func benchStore(b *testing.B) *postgres.Store {
	b.Helper()
	ctx := context.Background()
	if url := os.Getenv("RUCHE_BENCH_URL"); url != "" {
		s, err := postgres.Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.Close)
		return s
	}
	s := testdb.NewStore(b)
	plan, err := seed.Generate(seed.Options{Users: 500, Groups: seed.DefaultGroups(500), Posts: 20000, Seed: 1, BaseURL: "http://localhost", PasswordHash: "x"})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Seed(ctx, plan, nil); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkStreams builds the first page (20 posts) of the home, company and group
// streams, through ruche.Posts as the web UI does, each time for a member drawn at
// random (for a group, one of their groups at random), and reports the latency's
// percentiles. At size:
//
//	RUCHE_BENCH_URL=postgres://… go test -run '^$' -bench Streams -benchtime 2000x ./internal/postgres
func BenchmarkStreams(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	users, err := s.Users(ctx)
	if err != nil {
		b.Fatal(err)
	}
	groups, err := s.BenchMemberships(ctx)
	if err != nil {
		b.Fatal(err)
	}
	posts := &ruche.Posts{Store: s}
	for _, kind := range []ruche.StreamKind{ruche.StreamHome, ruche.StreamCompany, ruche.StreamGroup} {
		b.Run(string(kind), func(b *testing.B) {
			if _, err := seed.Bench(ctx, posts, users, kind, seed.BenchOptions{Requests: 100, Seed: 2, Groups: groups}); err != nil {
				b.Fatal(err) // warm up
			}
			b.ResetTimer()
			res, err := seed.Bench(ctx, posts, users, kind, seed.BenchOptions{Requests: b.N, Seed: uint64(b.N), Groups: groups})
			if err != nil {
				b.Fatal(err)
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(res.P50), "p50-ms")
			b.ReportMetric(ms(res.P95), "p95-ms")
			b.ReportMetric(ms(res.P99), "p99-ms")
			b.ReportMetric(float64(res.Posts)/float64(b.N), "posts/page")
		})
	}
}
