package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/jobs"
	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// Outbound delivery loses nothing: not when the partner is down for a while, not when
// the sending process dies in the middle of a delivery. "Nothing lost" is checked the
// same way both times: the receiver holds exactly the sender's outgoing activities,
// each processed once, and every delivery job of the sender is completed.

// TestFederationDeliverySurvivesReceiverDown: alpha announces ten times while beta is
// down; every delivery fails and waits for its retry; once beta is back, the retries
// deliver all ten.
func TestFederationDeliverySurvivesReceiverDown(t *testing.T) {
	ctx := context.Background()
	const n = 10
	// beta's database and port are fixed so that it comes back as the same instance.
	betaDB, betaPort := testdb.New(t), freePort(t)
	alpha, a := fedNode(t, "alpha", "", "")
	beta, b := fedNode(t, "beta", betaDB, betaPort)
	partner(t, alpha, b)
	partner(t, beta, a)
	// bootWith's cleanup closes beta again at the end: a second Close must be harmless
	// (it reports an error otherwise).
	if err := beta.Close(ctx); err != nil {
		t.Fatalf("closing beta: %v", err)
	}

	for range n {
		if k, err := alpha.fed.AnnounceInstanceActor(ctx); err != nil || k != 1 {
			t.Fatalf("announce: %d %v", k, err)
		}
	}
	deliveries := func() []*rivertype.JobRow {
		t.Helper()
		res, err := alpha.queue.JobList(ctx, river.NewJobListParams().Kinds(jobs.DeliverKind).First(1000))
		if err != nil {
			t.Fatal(err)
		}
		return res.Jobs
	}
	start := time.Now()
	eventually(t, 60*time.Second, "alpha's deliveries to a beta that is down did not all fail and wait for a retry", func() bool {
		js := deliveries()
		return len(js) == n && !slices.ContainsFunc(js, func(j *rivertype.JobRow) bool {
			return j.State != rivertype.JobStateRetryable || j.Attempt < 1
		})
	})
	t.Logf("all %d deliveries failed once in %v", n, time.Since(start).Round(time.Millisecond))

	beta, _ = fedNode(t, "beta", betaDB, betaPort)
	// The retries are due in 30 s or more (the backoff). An operator who knows the
	// partner is back retries them now; that skips only the wait, not the delivery:
	// the same jobs run the same way they would when their time came.
	for _, j := range deliveries() {
		if _, err := alpha.queue.JobRetry(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
	}
	start = time.Now()
	eventually(t, 30*time.Second, "beta did not receive and process every activity alpha queued while it was down", func() bool {
		return count(t, beta, `SELECT count(*) FROM incoming_activities WHERE processed_at IS NOT NULL`) == n
	})
	eventually(t, 10*time.Second, "alpha's deliveries are not all completed", func() bool {
		return !slices.ContainsFunc(deliveries(), func(j *rivertype.JobRow) bool { return j.State != rivertype.JobStateCompleted })
	})
	t.Logf("delivered after the retry in %v", time.Since(start).Round(time.Millisecond))
	sameActivities(t, alpha.db.store.Pool(), beta.db.store.Pool(), n)
}

// TestFederationDeliverySurvivesKill9: alpha, the real binary, delivers 40 activities
// to beta through a proxy that makes each delivery slow; alpha is killed with kill -9
// while some deliveries are in flight, then restarted. River rescues the jobs the dead
// process left running, and beta ends with all 40, each stored and processed once
// although some arrived twice.
func TestFederationDeliverySurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	ctx := context.Background()
	const n = 40
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "ruche")
	// Jobs of a dead process are rescued after 5 s rather than 2 min (job timeouts
	// shrink with it: a job is never rescued while its own timeout runs).
	build := exec.Command("go", "build", "-ldflags", "-X main.jobRescueAfter=5s", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	// beta listens on its own port behind the proxy, and is named after the proxy's:
	// the Host header the proxy passes on is the one alpha signed.
	proxy := newSlowProxy(t, "127.0.0.1:"+freePort(t), 300*time.Millisecond)
	b := "http://beta.localhost:" + proxy.port
	beta, _ := bootWith(t, testdb.New(t), map[string]string{"RUCHE_ADDR": proxy.target, "RUCHE_HOST": hostOf(b), "RUCHE_SECRET_KEY": testSecret})

	alphaPort, alphaDB := freePort(t), testdb.New(t)
	a := "http://alpha.localhost:" + alphaPort
	settings := map[string]string{
		"RUCHE_DEV": "true", "DATABASE_URL": alphaDB, "RUCHE_HOST": hostOf(a), "RUCHE_ADDR": "127.0.0.1:" + alphaPort,
		"RUCHE_SECRET_KEY": testSecret, "RUCHE_DATA": filepath.Join(tmp, "var"), "RUCHE_LOG_LEVEL": "warn",
	}
	env := os.Environ()
	for k, v := range settings {
		env = append(env, k+"="+v) // the last of a duplicate key wins
	}
	partner(t, beta, a)

	// alpha's partner and its 40 activities are queued from here, straight into its
	// database, as `ruche partner add` and `ruche federation announce` do, only faster.
	alphaStore := queueFrom(t, alphaDB)
	cfg, err := config.Load(func(k string) string { return settings[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	fed, err := newFederation(cfg, alphaStore, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fed.AddPartner(ctx, nil, hostOf(b), "test"); err != nil {
		t.Fatal(err)
	}
	for range n {
		if k, err := fed.AnnounceInstanceActor(ctx); err != nil || k != 1 {
			t.Fatalf("announce: %d %v", k, err)
		}
	}
	alphaPool := alphaStore.Pool()
	received := func() int { return count(t, beta, `SELECT count(*) FROM incoming_activities`) }

	// Start alpha and kill it as soon as beta has a few: not waiting for /readyz, since
	// deliveries begin as soon as the queue starts.
	start := time.Now()
	srv := exec.Command(bin, "serve")
	srv.Env, srv.Stderr = env, os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	first := srv.Process
	t.Cleanup(func() { first.Kill() }) // harmless once it has exited
	for received() < 3 {
		select {
		case err := <-exited:
			t.Fatalf("alpha exited: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("after a minute beta has received nothing from alpha")
		}
	}
	srv.Process.Signal(syscall.SIGKILL)
	<-exited
	killed := time.Now()
	got := received()
	t.Logf("killed alpha %v after its start, with %d of %d at beta", killed.Sub(start).Round(time.Millisecond), got, n)
	if got >= n {
		t.Fatalf("every activity was delivered before the kill: nothing to test")
	}
	// What the dead process left running, as activity IRIs.
	stuck := queryStrings(t, alphaPool, `SELECT o.iri FROM river_job j JOIN outgoing_activities o ON o.id = (j.args->>'activity_id')::bigint
		WHERE j.kind = $1 AND j.state = 'running'`, jobs.DeliverKind)
	if len(stuck) == 0 {
		t.Fatalf("no delivery job was left running by the kill")
	}
	t.Logf("%d delivery jobs left running", len(stuck))

	restarted := time.Now()
	serve(t, bin, env, alphaPort) // stopped by its cleanup
	// A job left running is rescued at the first pass of River's rescuer (every 30 s,
	// on the leader, elected within 15 s) once it has run for 5 s, and is then retried
	// after the deliveries' first backoff (30 to 33 s): about a minute, at most ~80 s.
	for next := time.Now(); received() < n; time.Sleep(50 * time.Millisecond) {
		if time.Since(restarted) > 120*time.Second {
			t.Fatalf("after 120 s beta has %d of %d; alpha's deliveries: %s", received(), n, jobStates(t, alphaPool, jobs.DeliverKind))
		}
		if time.Now().After(next) { // what is happening, for a slow run
			t.Logf("%v after the restart, beta has %d; alpha's deliveries: %s", time.Since(restarted).Round(time.Second), received(), jobStates(t, alphaPool, jobs.DeliverKind))
			next = next.Add(15 * time.Second)
		}
	}
	t.Logf("beta had all %d activities %v after the restart", n, time.Since(restarted).Round(time.Millisecond))
	// Jobs that delivered again what beta already had still need their turn (4 per
	// partner at a time) and River's batched completion: on a loaded machine, more
	// than the few seconds they usually take.
	eventually(t, 60*time.Second, "alpha's deliveries are not all completed", func() bool {
		return countIn(t, alphaPool, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`, jobs.DeliverKind) == n
	})
	if all := countIn(t, alphaPool, `SELECT count(*) FROM river_job WHERE kind = $1`, jobs.DeliverKind); all != n {
		t.Errorf("%d delivery jobs at alpha, want %d", all, n)
	}
	// Processing at beta fetches alpha's actor: what failed while alpha was down waits
	// for its retry.
	eventually(t, 60*time.Second, "beta did not process every activity", func() bool {
		return countIn(t, beta.db.store.Pool(), `SELECT count(*) FROM river_job WHERE kind = 'federation_process' AND state = 'completed'`) == n
	})
	if all := countIn(t, beta.db.store.Pool(), `SELECT count(*) FROM river_job WHERE kind = 'federation_process'`); all != n {
		t.Errorf("%d processing jobs at beta, want %d: an activity received twice was processed twice", all, n)
	}
	sameActivities(t, alphaPool, beta.db.store.Pool(), n)

	// Each job the kill left running was run again: its activity was POSTed after the
	// restart, whether or not beta had it already.
	posts := proxy.log()
	for _, iri := range stuck {
		if !slices.ContainsFunc(posts, func(p proxied) bool { return p.id == iri && p.at.After(restarted) }) {
			t.Errorf("the delivery of %s, running at the kill, was not made again", iri)
		}
	}
	times := map[string]int{}
	for _, p := range posts {
		if p.status/100 == 2 {
			times[p.id]++
		}
	}
	twice := 0
	for _, k := range times {
		if k > 1 {
			twice++
		}
	}
	t.Logf("%d POSTs to beta in all; %d activities accepted more than once", len(posts), twice)
}

// sameActivities checks that the receiver holds exactly the sender's n outgoing
// activities, each processed.
func sameActivities(t *testing.T, sender, receiver *pgxpool.Pool, n int) {
	t.Helper()
	sent := queryStrings(t, sender, `SELECT iri FROM outgoing_activities ORDER BY iri`)
	got := queryStrings(t, receiver, `SELECT iri FROM incoming_activities ORDER BY iri`)
	if len(sent) != n || !slices.Equal(sent, got) {
		t.Errorf("the receiver holds %d activities, the sender sent %d (want %d):\nsent %v\ngot  %v", len(got), len(sent), n, sent, got)
	}
	if k := countIn(t, receiver, `SELECT count(*) FROM incoming_activities WHERE processed_at IS NULL`); k != 0 {
		t.Errorf("%d activities received but not processed", k)
	}
}

// queueFrom opens a store on url that queues federation jobs with an insert-only
// client, as the operator commands do; the serving node runs them.
func queueFrom(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	inserter, err := river.NewClient(riverpgxv5.New(s.Pool()), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.SetQueue(jobs.Inserter{Client: inserter})
	return s
}

// jobStates sums up the jobs of a kind: how many in each state, attempt and due time.
func jobStates(t *testing.T, pool *pgxpool.Pool, kind string) []string {
	t.Helper()
	return queryStrings(t, pool, `SELECT format('%s×%s attempt %s due in %ss', count(*), state, attempt, round(extract(epoch FROM min(scheduled_at) - now())))
		FROM river_job WHERE kind = $1 GROUP BY state, attempt ORDER BY state, attempt`, kind)
}

func queryStrings(t *testing.T, pool *pgxpool.Pool, q string, args ...any) []string {
	t.Helper()
	rows, _ := pool.Query(context.Background(), q, args...)
	s, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func countIn(t *testing.T, pool *pgxpool.Pool, q string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// slowProxy stands in front of a node and holds every POST's answer for a while after
// the node has given it: a sender killed meanwhile never learns that its delivery
// arrived, and delivers it again. It logs each POST's activity id and answer.
type slowProxy struct {
	port, target string
	mu           sync.Mutex
	posts        []proxied
}

type proxied struct {
	id     string
	status int
	at     time.Time // when the POST arrived
}

// newSlowProxy listens on a free port and forwards to target, keeping the Host header
// (the signature covers it).
func newSlowProxy(t *testing.T, target string, delay time.Duration) *slowProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := &slowProxy{port: port, target: target}
	rp := &httputil.ReverseProxy{
		Director: func(r *http.Request) { r.URL.Scheme, r.URL.Host = "http", target },
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.Method == http.MethodPost {
				time.Sleep(delay)
			}
			return nil
		},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			rp.ServeHTTP(w, r)
			return
		}
		at := time.Now()
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var a struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &a)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(rec, r)
		p.mu.Lock()
		p.posts = append(p.posts, proxied{id: a.ID, status: rec.status, at: at})
		p.mu.Unlock()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

func (p *slowProxy) log() []proxied {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.posts)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
