package activitypub

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// verifyingHandler answers 200 with "ok <path>" to requests signed by alice for the
// host the server is reached at, and 401 with the reason to anything else.
func verifyingHandler(t *testing.T) http.HandlerFunc {
	lookup := func(context.Context, string) (crypto.PublicKey, string, error) {
		return &testKey(t, 0).PublicKey, alice, nil
	}
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, err := ParseSignature(r)
		if err == nil {
			v := &Verifier{Host: r.Host}
			_, err = v.Verify(r.Context(), r, body, sig, lookup)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "ok %s %s %s|%s|%s", r.URL.RequestURI(), r.Header.Get("Accept"), r.Header.Get("Content-Type"), r.UserAgent(), body)
	}
}

func server(t *testing.T, h http.Handler) (srv *httptest.Server, port string) {
	t.Helper()
	srv = httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return srv, port
}

func devClient(t *testing.T, opts ClientOptions) *Client {
	t.Helper()
	opts.Development = true
	if opts.Signer == nil {
		opts.Signer = &Signer{KeyID: aliceKeyID, Key: testKey(t, 0)}
	}
	opts.UserAgent = "ruche-test/1"
	return NewClient(opts)
}

func TestClientSignedGetAndPost(t *testing.T) {
	srv, port := server(t, verifyingHandler(t))
	c := devClient(t, ClientOptions{})
	ctx := context.Background()

	body, status, err := c.Get(ctx, srv.URL+"/users/bob?page=1")
	if want := "ok /users/bob?page=1 " + FetchAccept + " |ruche-test/1|"; err != nil || status != 200 || string(body) != want {
		t.Errorf("Get = %q, %d, %v; want %q, 200, nil", body, status, err, want)
	}
	body, _, err = c.GetAccept(ctx, "http://alpha.localhost:"+port+"/.well-known/nodeinfo", "application/json")
	if want := "ok /.well-known/nodeinfo application/json |ruche-test/1|"; err != nil || string(body) != want {
		t.Errorf("GetAccept via alpha.localhost = %q, %v; want %q", body, err, want)
	}
	status, retry, err := c.Post(ctx, srv.URL+"/inbox", []byte(`{"type":"Follow"}`))
	if err != nil || status != 200 || retry != 0 || Classify(err) != OutcomeDelivered {
		t.Errorf("Post = %d, %v, %v; want 200, 0, nil", status, retry, err)
	}

	unsigned := NewClient(ClientOptions{Development: true})
	if _, status, err := unsigned.Get(ctx, srv.URL+"/users/bob"); status != http.StatusUnauthorized || Classify(err) != OutcomeGiveUp {
		t.Errorf("unsigned Get = %d, %v; want 401 and give up (the test server must check)", status, err)
	}
}

// TestClientRedirects: a signed GET is signed again for each target, cross-host too;
// loops end; refused targets are not requested.
func TestClientRedirects(t *testing.T) {
	var hitsB atomic.Int32
	b, portB := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hitsB.Add(1)
		verifyingHandler(t)(w, r)
	}))
	_ = b
	var loops atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new?x=1", http.StatusFound) })
	mux.HandleFunc("/new", verifyingHandler(t))
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://beta.localhost:"+portB+"/doc", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/evil", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://evil.localhost:"+portB+"/doc", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/x", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		loops.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	a, _ := server(t, mux)
	checkHost := func(_ context.Context, host string) error {
		if strings.HasPrefix(host, "evil.") {
			return errors.New("not a partner")
		}
		return nil
	}
	c := devClient(t, ClientOptions{CheckHost: checkHost})
	ctx := context.Background()

	tests := []struct {
		path     string
		wantBody string
		wantErr  error
	}{
		{"/old", "ok /new?x=1 " + FetchAccept + " |ruche-test/1|", nil},
		{"/away", "ok /doc " + FetchAccept + " |ruche-test/1|", nil},
		{"/evil", "", ErrRefusedURL},
		{"/ftp", "", ErrRefusedURL},
		{"/loop", "", ErrTooManyRedirects},
	}
	for _, tt := range tests {
		body, _, err := c.Get(ctx, a.URL+tt.path)
		if string(body) != tt.wantBody || !errors.Is(err, tt.wantErr) {
			t.Errorf("Get(%s) = %q, %v; want %q, %v", tt.path, body, err, tt.wantBody, tt.wantErr)
		}
	}
	if got := hitsB.Load(); got != 1 {
		t.Errorf("server B got %d requests, want 1 (the allowed redirect only)", got)
	}
	if got := loops.Load(); got != 1+DefaultMaxRedirects {
		t.Errorf("redirect loop requested %d times, want %d", got, 1+DefaultMaxRedirects)
	}
	if status, _, err := c.Post(ctx, a.URL+"/old", []byte("{}")); status != http.StatusFound || Classify(err) != OutcomeGiveUp {
		t.Errorf("Post to a redirect = %d, %v; want 302, not followed, give up", status, err)
	}
}

// TestClientGuardOutsideDevelopment: with loopback forbidden and one loopback port
// playing a public host, that host is reachable but a redirect from it to another
// loopback server is refused at the dial, and nothing reaches that server.
func TestClientGuardOutsideDevelopment(t *testing.T) {
	var hitsB atomic.Int32
	b := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hitsB.Add(1) }))
	t.Cleanup(b.Close)
	a := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, b.URL+"/internal", http.StatusFound)
			return
		}
		io.WriteString(w, "public")
	}))
	t.Cleanup(a.Close)
	public := netip.MustParseAddrPort(a.Listener.Addr().String())
	transport := Guard{also: func(ap netip.AddrPort) bool { return ap == public }}.Transport()
	transport.TLSClientConfig = a.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	c := newClient(ClientOptions{Signer: &Signer{KeyID: aliceKeyID, Key: testKey(t, 0)}}, transport)
	ctx := context.Background()

	if body, _, err := c.Get(ctx, a.URL+"/"); err != nil || string(body) != "public" {
		t.Fatalf("Get(public stand-in) = %q, %v; want the test hook to let it through", body, err)
	}
	_, portA, _ := net.SplitHostPort(a.Listener.Addr().String())
	tests := []struct {
		url  string
		want error
	}{
		{a.URL + "/redirect", ErrBlockedAddress},
		{b.URL + "/", ErrBlockedAddress},
		{"https://alpha.localhost:" + portA + "/", ErrBlockedAddress},
		{"http://" + a.Listener.Addr().String() + "/", ErrRefusedURL},
		{"https://user@" + a.Listener.Addr().String() + "/", ErrRefusedURL},
		{"/relative", ErrRefusedURL},
	}
	for _, tt := range tests {
		if _, _, err := c.Get(ctx, tt.url); !errors.Is(err, tt.want) || Classify(err) != OutcomeGiveUp {
			t.Errorf("Get(%s) = %v; want %v, give up", tt.url, err, tt.want)
		}
	}
	if _, _, err := c.Post(ctx, b.URL+"/inbox", []byte("{}")); !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("Post(loopback) = %v, want ErrBlockedAddress", err)
	}
	if got := hitsB.Load(); got != 0 {
		t.Errorf("the loopback server got %d requests, want 0", got)
	}
}

func TestClientResponseLimit(t *testing.T) {
	srv, _ := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Has("length") {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		} else {
			w.(http.Flusher).Flush() // chunked: the size is known only by reading
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}))
	c := devClient(t, ClientOptions{MaxResponseBytes: 1000})
	tests := []struct {
		query string
		want  error
	}{
		{"n=1000", nil},
		{"n=1000&length", nil},
		{"n=1001", ErrResponseTooLarge},
		{"n=1001&length", ErrResponseTooLarge},
		{"n=100000", ErrResponseTooLarge},
	}
	for _, tt := range tests {
		body, _, err := c.Get(context.Background(), srv.URL+"/?"+tt.query)
		if !errors.Is(err, tt.want) || (err == nil && len(body) != 1000) || (err != nil && body != nil) {
			t.Errorf("Get(%s) = %d bytes, %v; want %v", tt.query, len(body), err, tt.want)
		}
	}
}

func TestClientPostOutcomes(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	srv, _ := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ra := r.URL.Query().Get("retry"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
	}))
	c := devClient(t, ClientOptions{Now: func() time.Time { return now }})
	tests := []struct {
		query     string
		want      Outcome
		wantRetry time.Duration
	}{
		{"code=202", OutcomeDelivered, 0},
		{"code=204", OutcomeDelivered, 0},
		{"code=410", OutcomeGiveUp, 0},
		{"code=404", OutcomeGiveUp, 0},
		{"code=401", OutcomeGiveUp, 0},
		{"code=408", OutcomeRetry, 0},
		{"code=429&retry=120", OutcomeRetry, 2 * time.Minute},
		{"code=429&retry=" + strings.ReplaceAll(now.Add(90*time.Second).Format(http.TimeFormat), " ", "+"), OutcomeRetry, 90 * time.Second},
		{"code=500", OutcomeRetry, 0},
		{"code=503&retry=30", OutcomeRetry, 30 * time.Second},
	}
	for _, tt := range tests {
		status, retry, err := c.Post(context.Background(), srv.URL+"/inbox?"+tt.query, []byte("{}"))
		if got := Classify(err); got != tt.want || retry != tt.wantRetry {
			t.Errorf("Post(%s) = %d, %v, %v: %v; want %v after %v", tt.query, status, retry, err, got, tt.want, tt.wantRetry)
		}
	}

	closed, _ := server(t, http.NotFoundHandler())
	closed.Close()
	if _, _, err := c.Post(context.Background(), closed.URL+"/inbox", []byte("{}")); err == nil || Classify(err) != OutcomeRetry {
		t.Errorf("Post to a closed port = %v, classified %v; want a network error to retry", err, Classify(err))
	}

	done := make(chan struct{})
	slow, _ := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer close(done)
	fast := devClient(t, ClientOptions{Timeout: 100 * time.Millisecond})
	start := time.Now()
	if _, _, err := fast.Post(context.Background(), slow.URL+"/inbox", []byte("{}")); !errors.Is(err, context.DeadlineExceeded) || Classify(err) != OutcomeRetry {
		t.Errorf("Post to a slow server = %v; want a deadline exceeded, to retry", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout of 100ms took %v", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{" 120 ", 2 * time.Minute},
		{"-5", 0},
		{"soon", 0},
		{"1.5", 0},
		{"99999999999999999999", 24 * time.Hour},
		{"172800", 24 * time.Hour},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(72 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
		{"Sat, 01 Mar 2025 12:00:30 GMT", 30 * time.Second},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
