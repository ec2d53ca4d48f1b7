package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// Federation end to end: whole Ruche nodes, each with its own database, named
// alpha.localhost:PORT, beta.localhost:PORT… (development mode resolves *.localhost to
// loopback), talking over real HTTP with real signatures.

const testSecret = "a test secret of at least thirty-two characters"

// fedNode boots a node called name.localhost on a free port, on database db ("" for a
// fresh one), and returns it with its base URL.
func fedNode(t *testing.T, name, db, port string) (*Main, string) {
	t.Helper()
	if db == "" {
		db = testdb.New(t)
	}
	if port == "" {
		port = freePort(t)
	}
	host := name + ".localhost:" + port
	m, _ := bootWith(t, db, map[string]string{"RUCHE_ADDR": "127.0.0.1:" + port, "RUCHE_HOST": host, "RUCHE_SECRET_KEY": testSecret})
	return m, "http://" + host
}

func hostOf(base string) string { return strings.TrimPrefix(base, "http://") }

func partner(t *testing.T, m *Main, base string) {
	t.Helper()
	if _, err := m.fed.AddPartner(context.Background(), nil, hostOf(base), "test"); err != nil {
		t.Fatal(err)
	}
}

// status of a federation error, 0 for none.
func statusOf(err error) int {
	var he *activitypub.HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	if err != nil {
		return -1
	}
	return 0
}

// loopback reaches *.localhost hosts, as development mode's client does.
var loopback = &http.Client{Transport: activitypub.Guard{AllowLoopback: true}.Transport()}

// rawGet makes an unsigned request.
func rawGet(t *testing.T, url, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := loopback.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// count runs a counting query on a node's database.
func count(t *testing.T, m *Main, q string, args ...any) int {
	t.Helper()
	var n int
	if err := m.db.store.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually waits up to d for ok.
func eventually(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFederationOnlyBetweenPartners: alpha and beta are partners and read each other's
// instance actor and outbox with signed GETs, and deliver to each other; gamma lists
// alpha as its partner but alpha does not list gamma, so every signed request gamma
// makes is refused with 403 (but the instance actor's document), and alpha stores
// nothing of gamma's. Unsigned requests get 401.
func TestFederationOnlyBetweenPartners(t *testing.T) {
	ctx := context.Background()
	alpha, a := fedNode(t, "alpha", "", "")
	beta, b := fedNode(t, "beta", "", "")
	gamma, g := fedNode(t, "gamma", "", "")
	partner(t, alpha, b)
	partner(t, beta, a)
	partner(t, gamma, a)

	// The instance actor's document, to anyone.
	status, body := rawGet(t, a+"/actor", activitypub.ContentType)
	if status != 200 || !strings.Contains(body, `"publicKeyPem"`) || !strings.Contains(body, `"Application"`) {
		t.Fatalf("GET /actor unsigned: %d %s", status, body)
	}
	if _, err := gamma.fed.Fetch(ctx, a+"/actor"); err != nil {
		t.Errorf("a non-partner's signed GET of the instance actor: %v", err)
	}
	// WebFinger finds it unsigned, and nothing else.
	self := "acct:" + hostOf(a) + "@" + hostOf(a)
	if status, body := rawGet(t, a+"/.well-known/webfinger?resource="+self, ""); status != 200 || !strings.Contains(body, a+"/actor") {
		t.Errorf("WebFinger of the instance actor: %d %s", status, body)
	}
	if status, _ := rawGet(t, a+"/.well-known/webfinger?resource=acct:ana@"+hostOf(a), ""); status != 404 {
		t.Errorf("WebFinger of a member: %d, want 404", status)
	}

	// Partners read each other's outbox, signed.
	for _, c := range []struct {
		from *Main
		to   string
	}{{alpha, b}, {beta, a}} {
		body, err := c.from.fed.Fetch(ctx, c.to+"/actor/outbox")
		if err != nil || !strings.Contains(string(body), `"OrderedCollection"`) {
			t.Errorf("partner GET %s/actor/outbox: %v %s", c.to, err, body)
		}
		if _, err := c.from.fed.Fetch(ctx, c.to+"/actor/outbox?page=true"); err != nil {
			t.Errorf("partner GET of the outbox's first page: %v", err)
		}
		// What is not federated is not found, even to a partner.
		if _, err := c.from.fed.Fetch(ctx, c.to+"/@ana"); statusOf(err) != 404 {
			t.Errorf("partner GET of a member page: %v, want 404", err)
		}
	}

	// gamma is refused everywhere but /actor.
	for _, path := range []string{"/actor/outbox", "/actor/outbox?page=true", "/.well-known/webfinger?resource=" + self, "/@ana", "/inbox"} {
		if _, err := gamma.fed.Fetch(ctx, a+path); statusOf(err) != 403 {
			t.Errorf("non-partner signed GET %s: %v, want 403", path, err)
		}
	}
	// Unsigned: 401.
	for _, path := range []string{"/actor/outbox", "/actor/outbox?page=true"} {
		if status, _ := rawGet(t, a+path, activitypub.ContentType); status != 401 {
			t.Errorf("unsigned GET %s: %d, want 401", path, status)
		}
	}
	resp, err := loopback.Post(a+"/inbox", activitypub.ContentType, strings.NewReader(`{"type":"Update"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("unsigned POST /inbox: %d, want 401", resp.StatusCode)
	}

	// Deliveries: alpha → beta arrives and is processed; gamma → alpha is refused
	// (403, which gamma's admins see; gamma retries it for hours in case alpha's admin
	// adds it later) and leaves nothing at alpha.
	if n, err := alpha.fed.AnnounceInstanceActor(ctx); err != nil || n != 1 {
		t.Fatalf("announce: %d %v", n, err)
	}
	eventually(t, 20*time.Second, "beta never processed alpha's Update", func() bool {
		return count(t, beta, `SELECT count(*) FROM incoming_activities WHERE host = $1 AND processed_at IS NOT NULL`, hostOf(a)) == 1
	})
	if _, err := gamma.fed.AnnounceInstanceActor(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "gamma's refused delivery is not among its failed deliveries", func() bool {
		ds, err := gamma.fed.FailedDeliveries(ctx, nil, 10)
		return err == nil && len(ds) == 1 && ds[0].State == "retryable" && strings.Contains(ds[0].LastError, "403")
	})
	if n := count(t, alpha, `SELECT count(*) FROM incoming_activities`); n != 0 {
		t.Errorf("alpha stored %d activities of a non-partner", n)
	}
	if n := count(t, alpha, `SELECT count(*) FROM remote_actors WHERE host = $1`, hostOf(g)); n != 0 {
		t.Errorf("alpha fetched or stored the non-partner's actor")
	}
	var outbox struct {
		TotalItems int `json:"totalItems"`
	}
	body2, err := beta.fed.Fetch(ctx, a+"/actor/outbox")
	if err != nil || json.Unmarshal(body2, &outbox) != nil || outbox.TotalItems != 1 {
		t.Errorf("alpha's outbox after one Update: %s %v", body2, err)
	}
}
