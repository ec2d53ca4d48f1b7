package linkpreview

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/safehttp"
)

// site is a test web server counting the requests that reach each path.
type site struct {
	*httptest.Server
	mux  *http.ServeMux
	hits map[string]*atomic.Int64
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{mux: http.NewServeMux(), hits: map[string]*atomic.Int64{}}
	s.Server = httptest.NewServer(s.mux)
	t.Cleanup(s.Close)
	return s
}

// handle registers h at path; register every path before the first request.
func (s *site) handle(path string, h http.HandlerFunc) {
	n := &atomic.Int64{}
	s.hits[path] = n
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	})
}

func (s *site) page(path, contentType, body string) {
	s.handle(path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, body)
	})
}

func (s *site) hitCount(path string) int64 { return s.hits[path].Load() }

// devFetcher reaches loopback servers, as in development mode.
func devFetcher() *Fetcher {
	return &Fetcher{Client: safehttp.NewClient(safehttp.Options{AllowPrivate: true})}
}

func TestFetchCards(t *testing.T) {
	s := newSite(t)
	const html = "text/html; charset=utf-8"
	s.page("/og", html, `<!doctype html><html><head><meta charset="utf-8">
<title>Fallback title</title>
<meta property="og:title" content="  The   OG
 title ">
<meta property="og:description" content="An OG description &amp; more.">
<meta property="og:image" content="/img/card.png">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
<meta property="og:site_name" content="Example News">
<meta property="og:type" content="article">
<meta property="og:url" content="/canonical">
<meta name="twitter:title" content="Twitter title">
</head><body><meta property="og:title" content="in the body, ignored"></body></html>`)
	s.page("/title-only", html, `<html><head><title>Just &amp; a title</title></head><body>x</body></html>`)
	s.page("/twitter", html, `<head><title>T</title><meta name="twitter:title" content="Tw title">
<meta name="twitter:description" content="Tw description"><meta name="description" content="plain description">
<meta name="twitter:image" content="//cdn.example/t.png"></head>`)
	s.page("/meta-description", html, `<head><title>T</title><meta name="Description" content="plain description"></head>`)
	s.page("/a/b/relative", html, `<head><meta property="og:title" content="Rel">
<meta property="og:image" content="javascript:alert(1)"><meta property="og:image:url" content="../img/p.png">
<meta property="og:url" content="https://elsewhere.example/spoof"></head>`)
	long := strings.Repeat("é", 500)
	s.page("/long", html, `<head><meta property="og:title" content="`+long+`"><meta property="og:description" content="`+long+long+long+`"></head>`)
	s.handle("/no-content-type", func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = nil // keeps net/http from sniffing one in
		io.WriteString(w, `<!DOCTYPE html><html><head><title>Sniffed</title></head></html>`)
	})

	tests := []struct {
		path string
		want Card
	}{
		{"/og", Card{URL: s.URL + "/canonical", Title: "The OG title", Description: "An OG description & more.",
			Type: "link", ProviderName: "Example News", Image: s.URL + "/img/card.png", Width: 1200, Height: 630}},
		{"/title-only", Card{URL: s.URL + "/title-only", Title: "Just & a title", Type: "link"}},
		{"/twitter", Card{URL: s.URL + "/twitter", Title: "Tw title", Description: "Tw description", Type: "link",
			Image: "http://cdn.example/t.png"}},
		{"/meta-description", Card{URL: s.URL + "/meta-description", Title: "T", Description: "plain description", Type: "link"}},
		{"/a/b/relative", Card{URL: s.URL + "/a/b/relative", Title: "Rel", Type: "link", Image: s.URL + "/a/img/p.png"}},
		{"/long", Card{URL: s.URL + "/long", Title: strings.Repeat("é", maxTitle-1) + "…",
			Description: strings.Repeat("é", maxDescription-1) + "…", Type: "link"}},
		{"/no-content-type", Card{URL: s.URL + "/no-content-type", Title: "Sniffed", Type: "link"}},
	}
	f := devFetcher()
	for _, tt := range tests {
		got, err := f.Fetch(context.Background(), s.URL+tt.path)
		if err != nil {
			t.Errorf("Fetch(%s): %v", tt.path, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Fetch(%s)\n got %+v\nwant %+v", tt.path, got, tt.want)
		}
	}
}

func TestFetchOEmbed(t *testing.T) {
	s := newSite(t)
	oembedLink := func(href string) string {
		return `<link rel="alternate" type="application/json+oembed" href="` + href + `" title="oEmbed">`
	}
	s.page("/video", "text/html", `<head><title>Video page</title>`+oembedLink("/oembed/video?url=x")+`</head>`)
	s.page("/oembed/video", "application/json", `{"version":"1.0","type":"video","title":"oEmbed title",
"author_name":"Alice","author_url":"https://alice.example/","provider_name":"Tube","provider_url":"https://tube.example/",
"html":"<iframe src=\"https://evil.example/\"></iframe><script>alert(1)</script>","width":640,"height":"360",
"thumbnail_url":"/thumb.jpg","thumbnail_width":480,"thumbnail_height":"360"}`)
	s.page("/photo", "text/html", `<head><meta property="og:title" content="OG wins">`+oembedLink("/oembed/photo")+`</head>`)
	s.page("/oembed/photo", "application/json", `{"type":"photo","title":"ignored","url":"/photo.jpg","width":800,"height":600,
"provider_name":"Pics"}`)
	s.page("/broken", "text/html", `<head><title>Broken oEmbed</title>`+oembedLink("/oembed/broken")+`</head>`)
	s.page("/oembed/broken", "application/json", `{"type":"video","title":`)
	s.page("/missing", "text/html", `<head><title>Missing oEmbed</title>`+oembedLink("/oembed/missing")+`</head>`)

	tests := []struct {
		path string
		want Card
	}{
		{"/video", Card{URL: s.URL + "/video", Title: "oEmbed title", Type: "link", AuthorName: "Alice",
			AuthorURL: "https://alice.example/", ProviderName: "Tube", ProviderURL: "https://tube.example/",
			Image: s.URL + "/thumb.jpg", Width: 480, Height: 360}},
		{"/photo", Card{URL: s.URL + "/photo", Title: "OG wins", Type: "photo", ProviderName: "Pics",
			Image: s.URL + "/photo.jpg", Width: 800, Height: 600}},
		{"/broken", Card{URL: s.URL + "/broken", Title: "Broken oEmbed", Type: "link"}},
		{"/missing", Card{URL: s.URL + "/missing", Title: "Missing oEmbed", Type: "link"}},
	}
	f := devFetcher()
	for _, tt := range tests {
		got, err := f.Fetch(context.Background(), s.URL+tt.path)
		if err != nil {
			t.Errorf("Fetch(%s): %v", tt.path, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Fetch(%s)\n got %+v\nwant %+v", tt.path, got, tt.want)
		}
		b, _ := json.Marshal(got)
		if strings.ContainsAny(string(b), "<>") || strings.Contains(string(b), `\u003c`) {
			t.Errorf("Fetch(%s) card carries markup: %s", tt.path, b)
		}
	}
	for _, p := range []string{"/oembed/video", "/oembed/photo", "/oembed/broken"} {
		if n := s.hitCount(p); n != 1 {
			t.Errorf("%s fetched %d times, want 1", p, n)
		}
	}
}

func TestFetchCharsets(t *testing.T) {
	s := newSite(t)
	// "Café crème" and “quoted” in single-byte encodings; the bytes are not UTF-8.
	s.page("/latin1-header", "text/html; charset=ISO-8859-1",
		"<head><title>Caf\xe9 cr\xe8me</title><meta property=\"og:description\" content=\"d\xe9j\xe0 vu\"></head>")
	s.page("/cp1252-meta", "text/html",
		"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"><title>\x93quoted\x94</title></head>")
	s.page("/utf8-meta", "text/html", "<head><meta charset=\"utf-8\"><title>日本語</title></head>")
	tests := []struct{ path, title, description string }{
		{"/latin1-header", "Café crème", "déjà vu"},
		{"/cp1252-meta", "“quoted”", ""},
		{"/utf8-meta", "日本語", ""},
	}
	f := devFetcher()
	for _, tt := range tests {
		got, err := f.Fetch(context.Background(), s.URL+tt.path)
		if err != nil {
			t.Errorf("Fetch(%s): %v", tt.path, err)
			continue
		}
		if got.Title != tt.title || got.Description != tt.description {
			t.Errorf("Fetch(%s) = %q, %q; want %q, %q", tt.path, got.Title, got.Description, tt.title, tt.description)
		}
	}
}

func TestFetchRefusals(t *testing.T) {
	s := newSite(t)
	s.page("/png", "image/png", "\x89PNG\r\n\x1a\n")
	s.page("/json", "application/json", `{"title":"x"}`)
	s.page("/text", "text/plain", "<title>not html</title>")
	s.page("/untitled", "text/html", "<head><meta property=\"og:description\" content=\"no title\"></head><body><h1>x</h1></body>")
	s.page("/empty", "text/html", "")
	s.handle("/gone", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "gone", http.StatusGone) })
	tests := []struct {
		url  string
		want error
	}{
		{s.URL + "/png", ErrNotHTML},
		{s.URL + "/json", ErrNotHTML},
		{s.URL + "/text", ErrNotHTML},
		{s.URL + "/untitled", ErrNoCard},
		{s.URL + "/empty", ErrNoCard},
		{s.URL + "/gone", ErrStatus},
		{"ftp://files.example/x", ErrBadURL},
		{"javascript:alert(1)", ErrBadURL},
		{"/relative", ErrBadURL},
		{"http://", ErrBadURL},
	}
	f := devFetcher()
	for _, tt := range tests {
		if _, err := f.Fetch(context.Background(), tt.url); !errors.Is(err, tt.want) {
			t.Errorf("Fetch(%s): err = %v, want %v", tt.url, err, tt.want)
		}
	}
}

func TestFetchHeaders(t *testing.T) {
	s := newSite(t)
	var accept, agent atomic.Value
	s.handle("/", func(w http.ResponseWriter, r *http.Request) {
		accept.Store(r.Header.Get("Accept"))
		agent.Store(r.UserAgent())
		io.WriteString(w, "<title>t</title>")
	})
	f := devFetcher()
	f.UserAgent = "Ruche link preview (+https://ruche.example)"
	if _, err := f.Fetch(context.Background(), s.URL); err != nil {
		t.Fatal(err)
	}
	if got := accept.Load().(string); !strings.HasPrefix(got, "text/html") {
		t.Errorf("Accept = %q, want text/html first", got)
	}
	if got := agent.Load(); got != f.UserAgent {
		t.Errorf("User-Agent = %q, want %q", got, f.UserAgent)
	}
}

func TestFetchReadsAtMostMaxBytes(t *testing.T) {
	const maxBytes = 64 << 10
	const limit = 64 << 20 // what the server would send a reader that does not stop
	var served atomic.Int64
	done := make(chan struct{})
	s := newSite(t)
	s.handle("/huge", func(w http.ResponseWriter, _ *http.Request) {
		defer close(done)
		w.Header().Set("Content-Type", "text/html")
		n, _ := io.WriteString(w, "<html><head><title>Huge</title>")
		served.Add(int64(n))
		// The head never ends, so only the byte cap can stop the reader.
		chunk := strings.Repeat(`<meta name="filler" content="0123456789abcdef">`, 512)
		for served.Load() < limit {
			n, err := io.WriteString(w, chunk)
			served.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	f := devFetcher()
	f.MaxBytes = maxBytes
	card, err := f.Fetch(context.Background(), s.URL+"/huge")
	if err != nil {
		t.Fatal(err)
	}
	if card.Title != "Huge" {
		t.Errorf("Title = %q, want Huge", card.Title)
	}
	<-done // the handler stops once the fetcher has hung up
	// Socket buffers hold a few MiB beyond what was read; reading the whole body
	// would have taken the server to the limit.
	if n := served.Load(); n >= limit/2 {
		t.Errorf("server sent %d bytes before the fetcher hung up, want far fewer than %d", n, limit)
	}
	t.Logf("served %d bytes for a cap of %d", served.Load(), maxBytes)
}

func TestFetchTimeout(t *testing.T) {
	s := newSite(t)
	// Neither handler ends on its own: only the fetcher's deadline, which closes the
	// connection and so the request's context, lets them return.
	s.handle("/no-answer", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	s.handle("/stalls", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		// More than the 1 KiB the charset sniffer waits for, title included.
		io.WriteString(w, "<html><head><title>Half</title><!-- "+strings.Repeat("x", 2048)+" -->")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	f := devFetcher()
	f.Timeout = 100 * time.Millisecond
	for _, p := range []string{"/no-answer", "/stalls"} {
		if _, err := f.Fetch(context.Background(), s.URL+p); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Fetch(%s): err = %v, want context.DeadlineExceeded", p, err)
		}
		if n := s.hitCount(p); n != 1 {
			t.Errorf("%s reached %d times, want 1", p, n)
		}
	}
}

// everyNameTo returns a client that connects to s whatever host a URL names, as DNS
// would for names pointing at it; it shows that a refused host was refused by the
// Fetcher, not by a failing lookup.
func everyNameTo(s *site) *http.Client {
	d := &net.Dialer{}
	addr := s.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestFetchInternalHostsNeverReached(t *testing.T) {
	s := newSite(t)
	s.page("/page", "text/html", "<title>Public</title>")
	s.handle("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://Wiki.Corp.Example./secret", http.StatusFound)
	})
	s.page("/secret", "text/html", "<title>Secret</title>")
	s.page("/with-oembed", "text/html", `<head><title>Public</title>
<link rel="alternate" type="application/json+oembed" href="http://intranet/secret"></head>`)
	f := &Fetcher{Client: everyNameTo(s), Internal: []string{"*.CORP.example", "intranet", " "}}

	if card, err := f.Fetch(context.Background(), "http://news.example/page"); err != nil || card.Title != "Public" {
		t.Fatalf("public host: card %+v, err %v; want the page's card", card, err)
	}
	for _, u := range []string{"http://wiki.corp.example/secret", "https://CORP.EXAMPLE:8443/secret",
		"http://a.b.corp.example/secret", "http://intranet/secret", "http://news.example/redirect"} {
		if _, err := f.Fetch(context.Background(), u); !errors.Is(err, ErrInternal) {
			t.Errorf("Fetch(%s): err = %v, want ErrInternal", u, err)
		}
	}
	if card, err := f.Fetch(context.Background(), "http://news.example/with-oembed"); err != nil || card.Title != "Public" {
		t.Errorf("page with an internal oEmbed link: card %+v, err %v; want the page's card", card, err)
	}
	if n := s.hitCount("/secret"); n != 0 {
		t.Errorf("internal page reached %d times, want 0", n)
	}
	if n := s.hitCount("/redirect"); n != 1 {
		t.Errorf("redirecting page reached %d times, want 1", n)
	}
}

func TestIsInternal(t *testing.T) {
	f := &Fetcher{Internal: []string{"wiki.corp.example", "*.intra.example", ".lan.example", "*"}}
	tests := []struct {
		host string
		want bool
	}{
		{"wiki.corp.example", true},
		{"WIKI.corp.example.", true},
		{"other.corp.example", false},
		{"corp.example", false},
		{"intra.example", true},
		{"a.b.intra.example", true},
		{"notintra.example", false},
		{"x.lan.example", true},
		{"lan.example.com", false},
		{"example.com", false}, // a lone "*" names no domain
	}
	for _, tt := range tests {
		if got := f.isInternal(tt.host); got != tt.want {
			t.Errorf("isInternal(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestFetchPrivateAddressRefusedInProduction(t *testing.T) {
	s := newSite(t)
	s.page("/", "text/html", "<title>Inside</title>")
	for _, f := range []*Fetcher{{}, {Client: safehttp.NewClient(safehttp.Options{})}} {
		if _, err := f.Fetch(context.Background(), s.URL+"/"); !errors.Is(err, safehttp.ErrNotPublic) {
			t.Errorf("Fetch(%s) with client %p: err = %v, want safehttp.ErrNotPublic", s.URL, f.Client, err)
		}
	}
	if n := s.hitCount("/"); n != 0 {
		t.Errorf("server reached %d times, want 0", n)
	}
}
