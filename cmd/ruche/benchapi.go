package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/live"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/server"
	"github.com/ruche-hive/ruche/web"
)

// apiBench measures the client API over real HTTP on loopback: GET
// /api/v1/timelines/home (20 statuses, full JSON) with many connections at once, each
// request with the token of a different member drawn at random, so nothing can be
// served from a cache kept per viewer. The server runs in this process on the
// operator's database connection; the load comes from goroutines of the same process,
// so both share the machine's CPUs, as they would with wrk on the same host.
type apiBench struct {
	Requests    int
	Concurrency int
	Warmup      int
	Members     int // how many members get a token
	Seed        uint64
	CPUProfile  string // where to write a CPU profile of the measured part ("" for none)
}

type apiResult struct {
	Requests               int
	P50, P95, P99, Max     time.Duration
	PerSecond              float64
	StatusesPerPage        float64
	Members, Connections   int
	BytesPerResponse       int
	ServerWall, ServerUser time.Duration
}

func (r apiResult) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("GET /api/v1/timelines/home  n=%d  %d connections  %d members  %.0f req/s  p50=%sms  p95=%sms  p99=%sms  max=%sms  (%.1f statuses, %d bytes per page; peak RSS %s of server and load together)",
		r.Requests, r.Connections, r.Members, r.PerSecond, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), r.StatusesPerPage, r.BytesPerResponse, peakRSS())
}

func (b apiBench) run(ctx context.Context, cfg config.Config, db *database, users []ruche.User, log *slog.Logger) (apiResult, error) {
	if len(users) == 0 {
		return apiResult{}, errors.New("bench: no members (seed the database first: ruche dev seed)")
	}
	r := rand.New(rand.NewPCG(b.Seed, 7))
	members := slices.Clone(users)
	r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	members = members[:min(b.Members, len(members))]
	oauth := &ruche.OAuth{Store: db.store}
	tokens := make([]string, len(members))
	for i, u := range members {
		_, t, err := oauth.CreatePersonalToken(ctx, u, "ruche dev bench", ruche.Scopes{"read"})
		if err != nil {
			return apiResult{}, err
		}
		tokens[i] = t.AccessToken
	}
	defer func() {
		for _, u := range members { // the bench's tokens do not outlive it
			if apps, err := oauth.OwnApps(context.WithoutCancel(ctx), u); err == nil {
				for _, a := range apps {
					if a.Name == "ruche dev bench" {
						oauth.RevokeApp(context.WithoutCancel(ctx), u, a.ID)
					}
				}
			}
		}
	}()

	catalog, err := i18n.Load(web.FS)
	if err != nil {
		return apiResult{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return apiResult{}, err
	}
	base := "http://" + ln.Addr().String()
	hub := live.NewHub()
	defer hub.Close()
	cacheCtx, stopCache := context.WithCancel(ctx)
	defer stopCache()
	go db.store.RunCache(cacheCtx, func(err error) { log.Warn("read cache", "err", err) })
	srv, err := server.New(server.Options{
		Accounts: &ruche.Accounts{Store: db.store}, Posts: &ruche.Posts{Store: db.store, BaseURL: base},
		Groups: &ruche.Groups{Store: db.store, Shares: db.store}, OAuth: oauth, Hub: hub, Catalog: catalog, Files: web.FS,
		BaseURL: base, Ready: db.store.Ping, Log: log, Dev: true,
	})
	if err != nil {
		return apiResult{}, err
	}
	hs := &http.Server{Handler: srv, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	go hs.Serve(ln)
	defer hs.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: b.Concurrency, MaxConnsPerHost: b.Concurrency, DisableCompression: true}}
	draws := make([]int, b.Warmup+b.Requests)
	for i := range draws {
		draws[i] = r.IntN(len(tokens))
	}
	// Each connection reads into a buffer of its own: the load generator shares the
	// CPUs with the server, so it should not spend them growing buffers.
	do := func(i int, into *bytes.Buffer) (time.Duration, int, int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/timelines/home?limit=20", nil)
		req.Header.Set("Authorization", "Bearer "+tokens[draws[i]])
		t := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, 0, err
		}
		into.Reset()
		_, err = into.ReadFrom(resp.Body)
		body := into.Bytes()
		resp.Body.Close()
		took := time.Since(t)
		if err != nil {
			return 0, 0, 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, 0, 0, fmt.Errorf("bench: home timeline → %d: %.300s", resp.StatusCode, body)
		}
		// Statuses on the page, counted during the warm-up only: decoding here would take
		// CPU from the server while it is measured.
		n := 0
		if i < b.Warmup {
			var page []json.RawMessage
			if err := json.Unmarshal(body, &page); err != nil {
				return 0, 0, 0, fmt.Errorf("bench: home timeline is not a JSON array: %w", err)
			}
			n = len(page)
		}
		return took, n, len(body), nil
	}
	loop := func(from, to int) ([]time.Duration, int, int, error) {
		took := make([]time.Duration, to-from)
		var statuses, size int
		var next = from
		var mu sync.Mutex
		var first error
		var wg sync.WaitGroup
		for range b.Concurrency {
			wg.Go(func() {
				var buf bytes.Buffer
				for {
					mu.Lock()
					i := next
					next++
					bad := first != nil
					mu.Unlock()
					if i >= to || bad || ctx.Err() != nil {
						return
					}
					d, n, sz, err := do(i, &buf)
					mu.Lock()
					if err != nil && first == nil {
						first = err
					}
					took[i-from] = d
					statuses += n
					size += sz
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return took, statuses, size, errors.Join(first, ctx.Err())
	}
	_, warmStatuses, _, err := loop(0, b.Warmup)
	if err != nil {
		return apiResult{}, err
	}
	if b.CPUProfile != "" {
		f, err := os.Create(b.CPUProfile)
		if err != nil {
			return apiResult{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return apiResult{}, err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	took, _, size, err := loop(b.Warmup, b.Warmup+b.Requests)
	if err != nil {
		return apiResult{}, err
	}
	wall := time.Since(start)
	fmt.Fprintf(os.Stderr, "home pages from memory / bypassed / guest / outside window / partial: %v\n", db.store.CacheStats())
	slices.Sort(took)
	q := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))] }
	return apiResult{Requests: len(took), P50: q(0.5), P95: q(0.95), P99: q(0.99), Max: took[len(took)-1],
		PerSecond: float64(len(took)) / wall.Seconds(), StatusesPerPage: float64(warmStatuses) / float64(max(b.Warmup, 1)),
		Members: len(members), Connections: b.Concurrency, BytesPerResponse: size / max(len(took), 1)}, nil
}

// peakRSS is this process's peak resident memory (VmHWM), from /proc.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
