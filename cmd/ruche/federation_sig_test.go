package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Inbound signatures end to end: a Ruche node, alpha, and fake servers the test
// controls (their actor documents, their keys, what they sign), so that every way a
// request can be forged or replayed reaches alpha's real HTTP server.

// fakeServer is a remote server named name.localhost:PORT serving actor documents the
// test writes, and counting the requests it gets.
type fakeServer struct {
	base string // http://name.localhost:PORT
	mu   sync.Mutex
	docs map[string][]byte // path → actor document
	hits map[string]int    // path → requests received
	down atomic.Bool       // answer 503 to everything, as a server in trouble
	got  [][]byte          // bodies of the POSTs received
}

func newFakeServer(t *testing.T, name string) *fakeServer {
	t.Helper()
	// Listening on port 0 and naming the server after the port it got leaves no window
	// in which another test could take the port (freePort closes its listener).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{
		base: fmt.Sprintf("http://%s.localhost:%d", name, l.Addr().(*net.TCPAddr).Port),
		docs: map[string][]byte{},
		hits: map[string]int{},
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Method == http.MethodPost {
		body, _ = io.ReadAll(r.Body)
	}
	s.mu.Lock()
	s.hits[r.URL.Path]++
	doc, ok := s.docs[r.URL.Path]
	if body != nil {
		s.got = append(s.got, body)
	}
	s.mu.Unlock()
	switch {
	case s.down.Load():
		http.Error(w, "busy", http.StatusServiceUnavailable)
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusAccepted) // whatever alpha might deliver
	case ok:
		w.Header().Set("Content-Type", activitypub.ContentType)
		w.Write(doc)
	default:
		http.NotFound(w, r)
	}
}

// received returns the bodies of the POSTs received so far.
func (s *fakeServer) received() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

// putActor publishes (or replaces) the actor at path with key's public half, and
// returns a signer for that key, whose id is the actor's IRI and "#main-key".
func (s *fakeServer) putActor(t *testing.T, path, typ string, key *rsa.PrivateKey) *activitypub.Signer {
	t.Helper()
	pem, err := activitypub.EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	id := s.base + path
	doc, err := activitypub.Marshal(&activitypub.Object{
		ID: id, Type: typ, PreferredUsername: path[strings.LastIndex(path, "/")+1:], Inbox: id + "/inbox", SharedInbox: s.base + "/inbox",
		PublicKey: &activitypub.PublicKey{ID: id + "#main-key", Owner: id, PublicKeyPem: pem},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.docs[path] = doc
	s.mu.Unlock()
	return &activitypub.Signer{KeyID: id + "#main-key", Key: key}
}

// requests returns how many requests path got, or all paths together for "".
func (s *fakeServer) requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path != "" {
		return s.hits[path]
	}
	n := 0
	for _, c := range s.hits {
		n += c
	}
	return n
}

func newKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := activitypub.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// activity is a Like by actor with the given id.
func activity(t *testing.T, id, actor, object string) []byte {
	t.Helper()
	b, err := activitypub.Marshal(&activitypub.Object{ID: id, Type: activitypub.TypeLike,
		Actor: activitypub.IRI(actor), Object: activitypub.IRI(object)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newRequest is an unsigned request for an ActivityStreams document (GET, body nil)
// or carrying one.
func newRequest(t *testing.T, method, url string, body []byte) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", activitypub.ContentType)
	if body != nil {
		req.Header.Set("Content-Type", activitypub.ContentType)
	}
	return req
}

// sign signs req (whose body is body) with s and returns it.
func sign(t *testing.T, s *activitypub.Signer, req *http.Request, body []byte) *http.Request {
	t.Helper()
	if err := s.Sign(req, body); err != nil {
		t.Fatal(err)
	}
	return req
}

func signedPost(t *testing.T, s *activitypub.Signer, url string, body []byte) *http.Request {
	return sign(t, s, newRequest(t, http.MethodPost, url, body), body)
}

func signedGet(t *testing.T, s *activitypub.Signer, url string) *http.Request {
	return sign(t, s, newRequest(t, http.MethodGet, url, nil), nil)
}

// signHeaders signs req with s's key over exactly headers, through go-fed (Signer
// always signs (request-target) host date [digest]).
func signHeaders(t *testing.T, s *activitypub.Signer, headers []string, req *http.Request, body []byte) *http.Request {
	t.Helper()
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host) // go-fed reads the host from the header map
	defer req.Header.Del("Host")
	gs, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.SignRequest(s.Key, s.KeyID, req, body); err != nil {
		t.Fatal(err)
	}
	return req
}

// setBody replaces req's body after signing, headers untouched.
func setBody(req *http.Request, body []byte) {
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = nil
}

// send sends req through the loopback client and returns the status.
func send(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := loopback.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestFederationSignatures: alpha lists mallory as its partner. mallory serves its
// instance actor (/actor, key K1) and a member (/users/eve, key K2); stranger, a server
// alpha does not federate with, serves an actor with a valid key. Every forged,
// replayed or misattributed request is refused with the right status and leaves
// nothing in alpha's inbox. The subtests run in order and share alpha's key cache.
func TestFederationSignatures(t *testing.T) {
	ctx := context.Background()
	alpha, a := fedNode(t, "alpha", "", "")
	mallory := newFakeServer(t, "mallory")
	stranger := newFakeServer(t, "stranger")
	k1 := mallory.putActor(t, "/actor", activitypub.TypeApplication, newKey(t))
	eve := mallory.putActor(t, "/users/eve", activitypub.TypePerson, newKey(t))
	strangerKey := stranger.putActor(t, "/actor", activitypub.TypeApplication, newKey(t))
	partner(t, alpha, mallory.base)
	malloryActor := mallory.base + "/actor"

	stored := func() int { return count(t, alpha, `SELECT count(*) FROM incoming_activities`) }
	// refuse sends req, expects want and that alpha stored nothing.
	refuse := func(t *testing.T, what string, req *http.Request, want int) {
		t.Helper()
		before := stored()
		if got := send(t, req); got != want {
			t.Errorf("%s: %d, want %d", what, got, want)
		}
		if n := stored(); n != before {
			t.Errorf("%s: alpha stored %d activities", what, n-before)
		}
	}
	// accept sends req, expects 202 and one more activity stored.
	accept := func(t *testing.T, what string, req *http.Request) {
		t.Helper()
		before := stored()
		if got := send(t, req); got != http.StatusAccepted {
			t.Errorf("%s: %d, want 202", what, got)
		}
		if n := stored(); n != before+1 {
			t.Errorf("%s: alpha stored %d activities, want 1", what, n-before)
		}
	}
	seq := 0
	like := func(actor string) []byte {
		seq++
		return activity(t, fmt.Sprintf("%s/activities/%d", mallory.base, seq), actor, a+"/x")
	}

	t.Run("valid POST is stored once and processed", func(t *testing.T) {
		body := like(malloryActor)
		for i := range 2 {
			// Freshly signed each time: a redelivery, not a replay.
			if got := send(t, signedPost(t, k1, a+"/inbox", body)); got != http.StatusAccepted {
				t.Fatalf("delivery %d: %d, want 202", i+1, got)
			}
			if n := stored(); n != 1 {
				t.Fatalf("after delivery %d: %d rows, want 1", i+1, n)
			}
		}
		if n := mallory.requests("/actor"); n != 1 {
			t.Errorf("mallory's actor fetched %d times, want once (then cached)", n)
		}
		eventually(t, 20*time.Second, "the Like was never processed", func() bool {
			return count(t, alpha, `SELECT count(*) FROM incoming_activities WHERE processed_at IS NOT NULL`) == 1
		})
	})

	t.Run("signature in the Authorization header", func(t *testing.T) {
		req := signedPost(t, k1, a+"/inbox", like(malloryActor))
		req.Header.Set("Authorization", "Signature "+req.Header.Get("Signature"))
		req.Header.Del("Signature")
		accept(t, "Authorization: Signature", req)
	})

	t.Run("body altered after signing", func(t *testing.T) {
		req := signedPost(t, k1, a+"/inbox", like(malloryActor))
		setBody(req, like(malloryActor))
		refuse(t, "same Digest and Signature", req, http.StatusUnauthorized)
	})

	t.Run("Digest recomputed for an altered body", func(t *testing.T) {
		// Signed by eve rather than the instance actor: a signature that does not verify
		// with a cached key makes alpha fetch that key again (at most once a minute), and
		// the key rotation below needs /actor's refetch.
		eveActor := mallory.base + "/users/eve"
		req := signedPost(t, eve, a+"/inbox", like(eveActor))
		altered := like(eveActor)
		setBody(req, altered)
		req.Header.Set("Digest", activitypub.DigestSHA256(altered))
		refuse(t, "new Digest, old Signature", req, http.StatusUnauthorized)
	})

	t.Run("Date out of range", func(t *testing.T) {
		for _, skew := range []time.Duration{-2 * time.Hour, 2 * time.Hour} {
			s := *k1
			s.Now = func() time.Time { return time.Now().Add(skew) }
			refuse(t, fmt.Sprintf("Date %v from now", skew), signedPost(t, &s, a+"/inbox", like(malloryActor)), http.StatusUnauthorized)
		}
	})

	t.Run("key of another actor", func(t *testing.T) {
		refuse(t, "eve's key for mallory's instance actor", signedPost(t, eve, a+"/inbox", like(malloryActor)), http.StatusForbidden)
		accept(t, "eve's key for eve", signedPost(t, eve, a+"/inbox", like(mallory.base+"/users/eve")))
	})

	t.Run("key of a non-partner is refused before any fetch", func(t *testing.T) {
		refuse(t, "stranger's POST", signedPost(t, strangerKey, a+"/inbox", activity(t, stranger.base+"/activities/1", stranger.base+"/actor", a+"/x")), http.StatusForbidden)
		refuse(t, "stranger's GET", signedGet(t, strangerKey, a+"/actor/outbox"), http.StatusForbidden)
		if n := stranger.requests(""); n != 0 {
			t.Errorf("alpha made %d requests to a non-partner", n)
		}
		if n := count(t, alpha, `SELECT count(*) FROM remote_actors WHERE host = $1`, hostOf(stranger.base)); n != 0 {
			t.Errorf("alpha stored the non-partner's actor")
		}
		// The same requests once stranger is a partner: its signature was good, only
		// the partnership was missing.
		partner(t, alpha, stranger.base)
		defer alpha.fed.RemovePartner(ctx, nil, hostOf(stranger.base))
		accept(t, "stranger's POST once a partner", signedPost(t, strangerKey, a+"/inbox", activity(t, stranger.base+"/activities/1", stranger.base+"/actor", a+"/x")))
		if got := send(t, signedGet(t, strangerKey, a+"/actor/outbox")); got != http.StatusOK {
			t.Errorf("stranger's GET once a partner: %d, want 200", got)
		}
	})

	t.Run("malformed signatures", func(t *testing.T) {
		// A genuine signature by K1, over host date digest but not (request-target): it
		// would verify on any path of alpha's, so it proves nothing. The same signature
		// with (request-target) is accepted.
		body := like(malloryActor)
		req := signHeaders(t, k1, []string{"host", "date", "digest"}, newRequest(t, http.MethodPost, a+"/inbox", body), body)
		refuse(t, "no (request-target)", req, http.StatusUnauthorized)
		body = like(malloryActor)
		accept(t, "with (request-target)", signHeaders(t, k1, []string{"(request-target)", "host", "date", "digest"}, newRequest(t, http.MethodPost, a+"/inbox", body), body))

		req = signedPost(t, k1, a+"/inbox", like(malloryActor))
		req.Header.Set("Signature", "not a signature")
		refuse(t, "garbage Signature", req, http.StatusUnauthorized)

		req = signedPost(t, k1, a+"/inbox", like(malloryActor))
		req.Header.Add("Signature", req.Header.Get("Signature"))
		refuse(t, "two Signature headers", req, http.StatusUnauthorized)
		req = signedPost(t, k1, a+"/inbox", like(malloryActor))
		req.Header.Add("Date", req.Header.Get("Date"))
		refuse(t, "two Date headers", req, http.StatusUnauthorized)
	})

	t.Run("key rotation", func(t *testing.T) {
		fetches := mallory.requests("/actor")
		k3 := mallory.putActor(t, "/actor", activitypub.TypeApplication, newKey(t))
		accept(t, "signed with the new key", signedPost(t, k3, a+"/inbox", like(malloryActor)))
		if n := mallory.requests("/actor") - fetches; n != 1 {
			t.Errorf("alpha fetched mallory's actor %d times, want once", n)
		}
		refuse(t, "signed with the old key", signedPost(t, k1, a+"/inbox", like(malloryActor)), http.StatusUnauthorized)
		if n := mallory.requests("/actor") - fetches; n != 1 {
			t.Errorf("the old key made alpha fetch again within the minute (%d fetches)", n)
		}
		k1 = k3
	})

	t.Run("signature bound to its path", func(t *testing.T) {
		// After the rotation, so the mismatch makes no refetch of the key (see above).
		req := signedPost(t, k1, a+"/actor/inbox", like(malloryActor))
		req.URL.Path = "/inbox"
		refuse(t, "signed for /actor/inbox, sent to /inbox", req, http.StatusUnauthorized)
	})

	t.Run("signed GETs", func(t *testing.T) {
		if got := send(t, signedGet(t, k1, a+"/actor/outbox")); got != http.StatusOK {
			t.Errorf("GET /actor/outbox: %d, want 200", got)
		}
		if got := send(t, signedGet(t, k1, a+"/@anyone")); got != http.StatusNotFound {
			t.Errorf("GET /@anyone: %d, want 404", got)
		}
		// Signed for another server and replayed here.
		req := newRequest(t, http.MethodGet, a+"/actor/outbox", nil)
		req.Host = "other.example"
		refuse(t, "signed for another host", sign(t, k1, req, nil), http.StatusUnauthorized)
	})

	t.Run("suspended partner", func(t *testing.T) {
		domain := hostOf(mallory.base)
		if _, err := alpha.fed.SetPartnerState(ctx, nil, domain, ruche.PartnerSuspended); err != nil {
			t.Fatal(err)
		}
		refuse(t, "POST while suspended", signedPost(t, k1, a+"/inbox", like(malloryActor)), http.StatusForbidden)
		refuse(t, "GET while suspended", signedGet(t, k1, a+"/actor/outbox"), http.StatusForbidden)

		if _, err := alpha.fed.SetPartnerState(ctx, nil, domain, ruche.PartnerActive); err != nil {
			t.Fatal(err)
		}
		accept(t, "POST once reactivated", signedPost(t, k1, a+"/inbox", like(malloryActor)))
		if got := send(t, signedGet(t, k1, a+"/actor/outbox")); got != http.StatusOK {
			t.Errorf("GET once reactivated: %d, want 200", got)
		}
	})
}
