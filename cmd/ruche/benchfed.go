package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/jobs"
	"github.com/ruche-hive/ruche/internal/live"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/server"
	"github.com/ruche-hive/ruche/web"
)

// fedBench measures federation on loopback, in this process: a Ruche node (server,
// job workers, the operator's database) and a stand-in partner instance that serves an
// actor and a WebFinger entry, signs what it sends and counts what it receives.
//
//   - Inbox: signed POSTs of distinct activities to the node's shared inbox, from
//     Connections connections at once. Each is verified (signature, digest, partner,
//     key owner), stored and given its processing job before the 202; the job workers
//     run meanwhile, as on a live node. Requests are signed before the clock starts, so
//     the partner's RSA signing does not take the node's CPU.
//   - Deliveries: Deliveries activities queued for the partner, then the node's workers
//     started; the time until the partner has received them all.
type fedBench struct {
	Requests    int
	Connections int
	Deliveries  int
	CPUProfile  string // where to write a CPU profile of the inbox part ("" for none)
}

type fedResult struct {
	Requests           int
	Connections        int
	PerSecond          float64
	P50, P95, P99, Max time.Duration
	Deliveries         int
	DeliveriesPerSec   float64
}

func (r fedResult) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("POST /inbox (signed, verified, stored with its job)  n=%d  %d connections  %.0f req/s  p50=%sms  p95=%sms  p99=%sms  max=%sms\n"+
		"deliveries (signed POSTs to a local partner, through the job queue)  n=%d  %.0f/s  (peak RSS %s)",
		r.Requests, r.Connections, r.PerSecond, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), r.Deliveries, r.DeliveriesPerSec, peakRSS())
}

// benchPartner is the stand-in partner: an Application actor with a key, a WebFinger
// entry for it, and a shared inbox that counts deliveries.
type benchPartner struct {
	base     string
	key      *rsa.PrivateKey
	received atomic.Int64
	srv      *http.Server
}

func newBenchPartner(log *slog.Logger) (*benchPartner, error) {
	key, err := activitypub.GenerateKey()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := &benchPartner{base: "http://partner.localhost:" + port, key: key}
	pem, err := activitypub.EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	actor, err := activitypub.Marshal(&activitypub.Object{ID: p.base + "/actor", Type: activitypub.TypeApplication,
		PreferredUsername: "partner", Inbox: p.base + "/inbox", SharedInbox: p.base + "/inbox",
		PublicKey: &activitypub.PublicKey{ID: p.base + "/actor#main-key", Owner: p.base + "/actor", PublicKeyPem: pem}})
	if err != nil {
		return nil, err
	}
	host := p.host()
	jrd, _ := json.Marshal(activitypub.NewJRD(activitypub.Acct{User: host, Host: host}, p.base+"/actor", ""))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /actor", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", activitypub.ContentType)
		w.Write(actor)
	})
	mux.HandleFunc("GET "+activitypub.WebFingerPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", activitypub.JRDContentType)
		w.Write(jrd)
	})
	mux.HandleFunc("POST /inbox", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		p.received.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
	p.srv = &http.Server{Handler: mux, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *benchPartner) host() string { return p.base[len("http://"):] }

// signedPost makes a POST of body to url, signed by the partner's instance actor.
func (p *benchPartner) signedPost(url, host string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Host = host
	req.Header.Set("Content-Type", activitypub.ContentType)
	s := activitypub.Signer{KeyID: p.base + "/actor#main-key", Key: p.key}
	return req, s.Sign(req, body)
}

func (b fedBench) run(ctx context.Context, cfg config.Config, db *database, log *slog.Logger) (fedResult, error) {
	catalog, err := i18n.Load(web.FS)
	if err != nil {
		return fedResult{}, err
	}
	partner, err := newBenchPartner(log)
	if err != nil {
		return fedResult{}, err
	}
	defer partner.srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fedResult{}, err
	}
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	host := "bench.localhost:" + port
	cfg.Protocol, cfg.Host, cfg.Dev, cfg.AccountDomain = "http", host, true, ""
	fed, err := newFederation(cfg, db.store, log)
	if err != nil {
		return fedResult{}, err
	}
	if _, err := fed.AddPartner(ctx, nil, partner.host(), "ruche dev bench"); err != nil {
		return fedResult{}, err
	}
	defer fed.RemovePartner(context.WithoutCancel(ctx), nil, partner.host())
	queue, err := jobs.New(db.store.Pool(), &ruche.Accounts{Store: db.store}, nil, nil, fed, nil, nil, log)
	if err != nil {
		return fedResult{}, err
	}
	db.store.SetQueue(jobs.Inserter{Client: queue})
	hub := live.NewHub()
	defer hub.Close()
	srv, err := server.New(server.Options{
		Accounts: &ruche.Accounts{Store: db.store}, Posts: &ruche.Posts{Store: db.store, BaseURL: cfg.BaseURL()},
		Groups: &ruche.Groups{Store: db.store, Shares: db.store}, OAuth: &ruche.OAuth{Store: db.store}, Federation: fed, Hub: hub, Catalog: catalog,
		Files: web.FS, BaseURL: cfg.BaseURL(), Ready: db.store.Ping, Log: log, Dev: true,
	})
	if err != nil {
		return fedResult{}, err
	}
	hs := &http.Server{Handler: srv, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	go hs.Serve(ln)
	defer hs.Close()

	// Deliveries first, on a quiet queue: queue them all, then start the workers.
	for range b.Deliveries {
		if _, err := fed.AnnounceInstanceActor(ctx); err != nil {
			return fedResult{}, err
		}
	}
	start := time.Now()
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return fedResult{}, err
	}
	defer queue.Stop(context.WithoutCancel(ctx))
	for partner.received.Load() < int64(b.Deliveries) {
		if ctx.Err() != nil || time.Since(start) > 5*time.Minute {
			return fedResult{}, fmt.Errorf("bench: %d of %d deliveries arrived", partner.received.Load(), b.Deliveries)
		}
		time.Sleep(time.Millisecond)
	}
	deliveries := time.Since(start)

	// Then the inbox: every request signed in advance, each a distinct activity.
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	reqs := make([]*http.Request, b.Requests)
	var wg sync.WaitGroup
	var signErr error
	var mu sync.Mutex
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(reqs); i += 4 {
				id := fmt.Sprintf("%s/activities/%s-%d", partner.base, run, i)
				body, _ := json.Marshal(map[string]any{"@context": activitypub.ActivityStreamsNS, "id": id, "type": "Like",
					"actor": partner.base + "/actor", "object": cfg.BaseURL() + "/actor"})
				r, err := partner.signedPost("http://"+addr+"/inbox", host, body)
				mu.Lock()
				reqs[i], signErr = r, errors.Join(signErr, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if signErr != nil {
		return fedResult{}, signErr
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: b.Connections, MaxConnsPerHost: b.Connections}}
	if b.CPUProfile != "" {
		f, err := os.Create(b.CPUProfile)
		if err != nil {
			return fedResult{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fedResult{}, err
		}
		defer pprof.StopCPUProfile()
	}
	took, wall, err := load(ctx, b.Connections, len(reqs), func(i int) error {
		resp, err := client.Do(reqs[i].WithContext(ctx))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("bench: POST /inbox → %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		return fedResult{}, err
	}
	q := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))] }
	return fedResult{Requests: len(took), Connections: b.Connections, PerSecond: float64(len(took)) / wall.Seconds(),
		P50: q(0.5), P95: q(0.95), P99: q(0.99), Max: took[len(took)-1],
		Deliveries: b.Deliveries, DeliveriesPerSec: float64(b.Deliveries) / deliveries.Seconds()}, nil
}

// load runs do(0)…do(n-1) on conc goroutines and returns each call's duration, sorted,
// and the wall time of the whole; it stops at the first error.
func load(ctx context.Context, conc, n int, do func(i int) error) ([]time.Duration, time.Duration, error) {
	took := make([]time.Duration, n)
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t := time.Now()
				if err := do(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(n))
					return
				}
				took[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if first != nil {
		return nil, 0, first
	}
	slices.Sort(took)
	return took, wall, ctx.Err()
}
