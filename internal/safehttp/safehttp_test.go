package safehttp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckAddressDefaultRule(t *testing.T) {
	rule := defaultCheck // what NewClient installs when Options.Check is nil
	tests := []struct {
		address string
		public  bool
	}{
		{"8.8.8.8:443", true},
		{"[2a00:1450:4007:80f::200a]:443", true},
		{"10.1.2.3:80", false},
		{"172.16.0.1:80", false},
		{"172.31.255.254:80", false},
		{"172.32.0.1:80", true}, // just outside 172.16/12
		{"192.168.1.1:80", false},
		{"127.0.0.1:80", false},
		{"127.255.0.7:80", false},
		{"[::1]:80", false},
		{"[fc00::1]:80", false},
		{"[fd12:3456::1]:80", false},
		{"[fe80::1]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"169.254.169.254:80", false},
		{"100.64.0.1:80", false},
		{"100.127.255.254:80", false},
		{"0.0.0.0:80", false},
		{"[::]:80", false},
		{"224.0.0.1:80", false},
		{"[ff02::1]:80", false},
		{"255.255.255.255:80", false},
		{"[::ffff:127.0.0.1]:80", false},
		{"[::ffff:10.0.0.1]:80", false},
		{"[::ffff:8.8.8.8]:80", true},
		{"not-an-address:80", false},
	}
	for _, tt := range tests {
		err := checkAddress(rule, tt.address)
		if got := err == nil; got != tt.public {
			t.Errorf("checkAddress(%q) = %v, want allowed=%v", tt.address, err, tt.public)
		}
		if err != nil && !errors.Is(err, ErrNotPublic) {
			t.Errorf("checkAddress(%q) = %v, want an ErrNotPublic", tt.address, err)
		}
	}
}

// server starts a test server on 127.0.0.1 that counts the requests reaching it.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s, &hits
}

func addrPort(t *testing.T, s *httptest.Server) netip.AddrPort {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return netip.MustParseAddrPort(u.Host)
}

// only admits exactly the given servers, as if they were public.
func only(t *testing.T, ss ...*httptest.Server) func(netip.AddrPort) bool {
	t.Helper()
	allowed := map[netip.AddrPort]bool{}
	for _, s := range ss {
		allowed[addrPort(t, s)] = true
	}
	return func(ap netip.AddrPort) bool { return allowed[ap] }
}

func get(t *testing.T, c *http.Client, u string) (string, error) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func hello(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }

func TestLoopbackRefusedUnlessAllowPrivate(t *testing.T) {
	s, hits := server(t, hello)
	localhost := "http://localhost:" + strconv.Itoa(int(addrPort(t, s).Port()))
	for _, u := range []string{s.URL, localhost} {
		_, err := get(t, NewClient(Options{}), u)
		if !errors.Is(err, ErrNotPublic) {
			t.Errorf("production client GET %s: err = %v, want ErrNotPublic", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("server saw %d requests from the production client, want 0", n)
	}

	body, err := get(t, NewClient(Options{AllowPrivate: true}), s.URL)
	if err != nil || body != "hello" {
		t.Fatalf("development client: body %q, err %v; want hello", body, err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("server saw %d requests, want 1", n)
	}
}

func TestRedirectToLoopbackRefused(t *testing.T) {
	inside, insideHits := server(t, hello)
	outside, outsideHits := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/final":
			io.WriteString(w, "outside")
		default:
			http.Redirect(w, r, inside.URL+"/secret", http.StatusFound)
		}
	})
	c := NewClient(Options{Check: only(t, outside)})

	body, err := get(t, c, outside.URL+"/same")
	if err != nil || body != "outside" {
		t.Fatalf("redirect within the admitted server: body %q, err %v; want outside", body, err)
	}
	_, err = get(t, c, outside.URL+"/to-inside")
	if !errors.Is(err, ErrNotPublic) {
		t.Fatalf("redirect to another loopback server: err = %v, want ErrNotPublic", err)
	}
	if n := insideHits.Load(); n != 0 {
		t.Errorf("inside server saw %d requests, want 0", n)
	}
	if n := outsideHits.Load(); n != 3 {
		t.Errorf("outside server saw %d requests, want 3", n)
	}
}

func TestRedirectLimitsAndSchemes(t *testing.T) {
	s, hits := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/gopher":
			http.Redirect(w, r, "gopher://example.com/", http.StatusFound)
		default:
			// /n redirects to /n-1 until /0, which answers.
			n, _ := strconv.Atoi(r.URL.Path[1:])
			if n == 0 {
				io.WriteString(w, "done")
				return
			}
			http.Redirect(w, r, "/"+strconv.Itoa(n-1), http.StatusFound)
		}
	})
	tests := []struct {
		name     string
		max      int
		path     string
		wantErr  error
		wantBody string
		wantHits int64
		wantCode int
	}{
		{"default allows 3", 0, "/3", nil, "done", 4, 200},
		{"default refuses 4", 0, "/4", ErrTooManyRedirects, "", 4, 0},
		{"max 1 allows 1", 1, "/1", nil, "done", 2, 200},
		{"max 1 refuses 2", 1, "/2", ErrTooManyRedirects, "", 2, 0},
		{"negative follows none", -1, "/2", nil, `<a href="/1">Found</a>.` + "\n\n", 1, http.StatusFound},
		{"file scheme", 0, "/file", ErrBadScheme, "", 1, 0},
		{"gopher scheme", 0, "/gopher", ErrBadScheme, "", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			c := NewClient(Options{MaxRedirects: tt.max, Check: only(t, s)})
			resp, err := c.Get(s.URL + tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode || string(b) != tt.wantBody {
					t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b, tt.wantCode, tt.wantBody)
				}
			}
			if n := hits.Load(); n != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", n, tt.wantHits)
			}
		})
	}
}

func TestRefusesOtherSchemes(t *testing.T) {
	c := NewClient(Options{AllowPrivate: true})
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/", "gopher://example.com/"} {
		if _, err := c.Get(u); !errors.Is(err, ErrBadScheme) {
			t.Errorf("GET %s: err = %v, want ErrBadScheme", u, err)
		}
	}
}

func TestUserAgent(t *testing.T) {
	var got atomic.Value
	s, _ := server(t, func(_ http.ResponseWriter, r *http.Request) { got.Store(r.UserAgent()) })
	c := NewClient(Options{UserAgent: "Ruche/1 (+https://ruche.example)", Check: only(t, s)})
	if _, err := get(t, c, s.URL); err != nil {
		t.Fatal(err)
	}
	if ua := got.Load(); ua != "Ruche/1 (+https://ruche.example)" {
		t.Errorf("User-Agent = %q, want the configured one", ua)
	}

	req, _ := http.NewRequest(http.MethodGet, s.URL, nil)
	req.Header.Set("User-Agent", "caller")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ua := got.Load(); ua != "caller" {
		t.Errorf("User-Agent = %q, want the request's own", ua)
	}
	if req.Header.Get("User-Agent") != "caller" {
		t.Errorf("the caller's request was modified")
	}
}

func TestTimeout(t *testing.T) {
	// The handler never answers; only the client's timeout can end the request.
	s, _ := server(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := NewClient(Options{Timeout: 50 * time.Millisecond, Check: only(t, s)})
	_, err := get(t, c, s.URL)
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

func TestDefaultsAndNoProxy(t *testing.T) {
	c := NewClient(Options{})
	if c.Timeout != DefaultTimeout {
		t.Errorf("Timeout = %v, want %v", c.Timeout, DefaultTimeout)
	}
	// Checked on the transport itself: Go never proxies loopback requests, so a
	// proxy in the environment could not show up in a test against httptest.
	tr, ok := c.Transport.(*transport)
	if !ok {
		t.Fatalf("Transport is %T", c.Transport)
	}
	if tr.base.Proxy != nil {
		t.Errorf("transport has a Proxy func; want none")
	}
	if tr.base.DialContext == nil {
		t.Errorf("transport has no checked DialContext")
	}
}
