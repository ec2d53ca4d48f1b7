package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// What a stranger, or a partner in trouble, can make a Ruche node do: the findings of
// a review, kept as tests.

// TestFederationKeyFetchesAreBounded: anyone can sign with a keyId on a partner's host.
// Such requests make alpha fetch each key once (a failure is remembered), within a
// budget per partner; nothing fetched is stored unless a signature verifies with it;
// and the answer does not tell whether the URL named was an actor.
func TestFederationKeyFetchesAreBounded(t *testing.T) {
	alpha, a := fedNode(t, "alpha", "", "")
	mallory := newFakeServer(t, "mallory")
	mallory.putActor(t, "/users/eve", activitypub.TypePerson, newKey(t))
	mallory.putActor(t, "/groups/secret-project", activitypub.TypeGroup, newKey(t))
	partner(t, alpha, mallory.base)
	anon := newKey(t) // a key nobody published
	probe := func(keyID string) int {
		return send(t, signedGet(t, &activitypub.Signer{KeyID: keyID, Key: anon}, a+"/actor/outbox"))
	}

	for range 25 {
		if got := probe(mallory.base + "/missing#k"); got != 401 {
			t.Fatalf("a missing key: %d, want 401", got)
		}
	}
	if n := mallory.requests("/missing"); n != 1 {
		t.Errorf("one missing key fetched %d times, want once (then remembered)", n)
	}
	// An existing actor and a missing one answer alike, and neither is stored.
	for _, p := range []string{"/groups/secret-project#x", "/groups/no-such-group#x", "/users/eve#main-key"} {
		if got := probe(mallory.base + p); got != 401 {
			t.Errorf("keyId %s: %d, want 401", p, got)
		}
	}
	if n := count(t, alpha, `SELECT count(*) FROM remote_actors`); n != 0 {
		t.Errorf("%d actors stored on requests that did not verify", n)
	}
	// Distinct keys: at most the budget is fetched.
	for i := range 60 {
		probe(fmt.Sprintf("%s/probe/%d#k", mallory.base, i))
	}
	probes := 0
	for i := range 60 {
		probes += mallory.requests(fmt.Sprintf("/probe/%d", i))
	}
	if probes > 20 {
		t.Errorf("60 requests with distinct keyIds made alpha fetch %d documents from its partner", probes)
	}
}

// TestFederationPartnerInTrouble: a partner whose server fails for a moment is told to
// come back later (503), not that its signature is bad (401, which senders give up
// on); and a key Ruche already has still serves while the partner cannot be reached.
func TestFederationPartnerInTrouble(t *testing.T) {
	db := testdb.New(t)
	alpha, a := fedNode(t, "alpha", db, "")
	mallory := newFakeServer(t, "mallory")
	k := mallory.putActor(t, "/actor", activitypub.TypeApplication, newKey(t))
	eve := mallory.putActor(t, "/users/eve", activitypub.TypePerson, newKey(t))
	partner(t, alpha, mallory.base)
	like := func(actor string, i int) []byte {
		return activity(t, fmt.Sprintf("%s/activities/%d", mallory.base, i), actor, a+"/x")
	}
	if got := send(t, signedPost(t, k, a+"/inbox", like(mallory.base+"/actor", 1))); got != 202 {
		t.Fatalf("first delivery: %d", got)
	}
	// The stored key grows old, and the partner is down; a node that has not seen the
	// key yet (no copy in memory) answers.
	if _, err := alpha.db.store.Pool().Exec(context.Background(), `UPDATE remote_actors SET fetched_at = now() - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	_, a = fedNode(t, "alpha", db, "")
	mallory.down.Store(true)
	if got := send(t, signedPost(t, k, a+"/inbox", like(mallory.base+"/actor", 2))); got != 202 {
		t.Errorf("a valid signature with a stale key while the partner is down: %d, want 202", got)
	}
	// A key Ruche never had, while the partner is down: try again later.
	if got := send(t, signedPost(t, eve, a+"/inbox", like(mallory.base+"/users/eve", 3))); got != 503 {
		t.Errorf("an unknown key while the partner is down: %d, want 503", got)
	}
	mallory.down.Store(false)
}

// TestFederationBadActivityAlone: an activity whose type PostgreSQL cannot store is
// refused with 400, and when it arrives among many, the others are still accepted.
func TestFederationBadActivityAlone(t *testing.T) {
	alpha, a := fedNode(t, "alpha", "", "")
	mallory := newFakeServer(t, "mallory")
	k := mallory.putActor(t, "/actor", activitypub.TypeApplication, newKey(t))
	partner(t, alpha, mallory.base)
	nul := func(i int) []byte {
		return []byte(fmt.Sprintf(`{"id":"%s/activities/nul%d","type":"Like\u0000","actor":"%s/actor","object":"x"}`, mallory.base, i, mallory.base))
	}
	if got := send(t, signedPost(t, k, a+"/inbox", nul(0))); got != 400 {
		t.Errorf("a NUL in the type: %d, want 400", got)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 200 {
		wg.Go(func() {
			body := activity(t, fmt.Sprintf("%s/activities/ok%d", mallory.base, i), mallory.base+"/actor", a+"/x")
			if i%10 == 0 {
				body = nul(i)
			}
			code := send(t, signedPost(t, k, a+"/inbox", body))
			if i%10 != 0 {
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if codes[202] != 180 {
		t.Errorf("valid activities sent among bad ones: %v, want 180×202", codes)
	}
	if n := count(t, alpha, `SELECT count(*) FROM incoming_activities`); n != 180 {
		t.Errorf("%d activities stored, want 180", n)
	}
}

// TestFederationWrongSecretStopsStart: a node whose RUCHE_SECRET_KEY does not open the
// instance's key refuses to start, saying why, rather than signing nothing partners
// accept.
func TestFederationWrongSecretStopsStart(t *testing.T) {
	db := testdb.New(t)
	first, _ := fedNode(t, "alpha", db, "")
	if _, err := first.fed.InstanceActor(context.Background()); err != nil { // makes the key
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"RUCHE_DEV": "true", "RUCHE_ADDR": "127.0.0.1:0", "DATABASE_URL": db,
			"RUCHE_SECRET_KEY": "a completely different secret of 32+ characters"}[k]
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Stdout: io.Discard, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err = m.Open(context.Background())
	if err == nil {
		m.Close(context.Background())
		t.Fatal("a node with another secret started")
	}
	if !strings.Contains(err.Error(), "RUCHE_SECRET_KEY") {
		t.Errorf("the refusal does not name the setting: %v", err)
	}
}
