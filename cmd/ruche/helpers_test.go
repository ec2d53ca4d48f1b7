package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestMain runs the suite on a throwaway database, then, when the whole suite ran,
// checks that every client-API route had a response validated against Mastodon's
// schemas (masto_scopes_test.go).
func TestMain(m *testing.M) { testdb.MainThen(m, checkSpecCoverage) }

// boot starts a whole Ruche node on a fresh database and port 0.
func boot(t *testing.T) (*Main, string) {
	t.Helper()
	return bootOn(t, testdb.New(t))
}

// bootOn starts a node on database url, which other nodes may share.
func bootOn(t *testing.T, url string) (*Main, string) {
	t.Helper()
	return bootWith(t, url, nil)
}

// bootWith starts a node on database url with more settings.
func bootWith(t *testing.T, url string, env map[string]string) (*Main, string) {
	t.Helper()
	mediaDir := t.TempDir()
	cfg, err := config.Load(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return map[string]string{"RUCHE_DEV": "true", "RUCHE_ADDR": "127.0.0.1:0", "DATABASE_URL": url, "RUCHE_SECRET_KEY": testSecret,
			"RUCHE_MEDIA_DIR": mediaDir}[k]
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Stdout: io.Discard, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m, "http://" + m.Addr()
}

// browser is an HTTP client with cookies that does not follow redirects, so tests see them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	lang string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(raw), header: resp.Header}
}

func (b *browser) get(path string) page { return b.do("GET", path, nil) }

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// submit GETs the page with the form, then POSTs the form with its CSRF token, as a
// browser does.
func (b *browser) submit(formPage, action string, form url.Values) page {
	b.t.Helper()
	p := b.get(formPage)
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d): no csrf_token in the page", formPage, p.status)
	}
	form.Set("csrf_token", m[1])
	return b.do("POST", action, form)
}

func want(t *testing.T, p page, status int, contains string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status = %d, want %d (location %q)\n%s", p.status, status, p.location, p.body)
	}
	if contains != "" && !strings.Contains(html.UnescapeString(p.body), contains) {
		t.Fatalf("page lacks %q:\n%s", contains, p.body)
	}
}

func wantRedirect(t *testing.T, p page, prefix string) {
	t.Helper()
	if p.status != http.StatusFound && p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, prefix) {
		t.Fatalf("got %d to %q, want a redirect to %s\n%s", p.status, p.location, prefix, p.body)
	}
}

func wantJSONError(t *testing.T, p page, status int) {
	t.Helper()
	var body struct{ Error string }
	if p.status != status || json.Unmarshal([]byte(p.body), &body) != nil || body.Error == "" {
		t.Fatalf("got %d %q, want %d with a JSON error", p.status, p.body, status)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
}

func account(username, password string) url.Values {
	return url.Values{"username": {username}, "display_name": {strings.ToUpper(username[:1]) + username[1:]},
		"email": {username + "@example.com"}, "password": {password}}
}
