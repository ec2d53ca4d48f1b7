// Package linkpreview fetches the card shown under a post's first link.
//
// Pages are the outside world's: a Fetcher reads at most MaxBytes of them, within
// Timeout, through a client that cannot reach the instance's own network (package
// safehttp), never asks a host on the company's internal list, and keeps only plain
// text fields and http(s) URLs. It never returns markup from the remote: oEmbed
// "html" (an iframe or a script the remote chose) is dropped, so video and rich
// embeds become ordinary link cards.
package linkpreview

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/ruche-hive/ruche/internal/safehttp"
)

// Defaults for the zero values of Fetcher.
const (
	DefaultMaxBytes = 1 << 20
	DefaultTimeout  = 5 * time.Second
)

var (
	// ErrBadURL is a URL that is not an absolute http or https URL.
	ErrBadURL = errors.New("linkpreview: not an http(s) URL")
	// ErrInternal is a URL, or a redirect, to a host on the internal list.
	ErrInternal = errors.New("linkpreview: internal host, not fetched")
	// ErrNotHTML is a page whose content type is not HTML.
	ErrNotHTML = errors.New("linkpreview: not an HTML page")
	// ErrStatus is a page answered with a status other than 2xx.
	ErrStatus = errors.New("linkpreview: page not available")
	// ErrNoCard is an HTML page that gives nothing to title a card with.
	ErrNoCard = errors.New("linkpreview: page has no title")
)

// Card is a link preview, the fields of a Mastodon PreviewCard that come from the
// page. Every string is plain text or an http(s) URL, capped in length; none is
// markup. Mastodon's html, embed_url and blurhash are left to the caller (always
// empty html: remote markup is never embedded).
type Card struct {
	// URL is the page's canonical URL when it names the same host, else the URL the
	// page was finally fetched from (after redirects).
	URL         string `json:"url"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Type is "photo" when the page's oEmbed says so, else "link".
	Type         string `json:"type"`
	AuthorName   string `json:"author_name"`
	AuthorURL    string `json:"author_url"`
	ProviderName string `json:"provider_name"`
	ProviderURL  string `json:"provider_url"`
	// Image is the preview image's URL; Width and Height its size when the page
	// states it, else 0.
	Image  string `json:"image"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Fetcher makes cards. The zero value is usable: the production safehttp client,
// DefaultMaxBytes, DefaultTimeout, no internal hosts. Safe for concurrent use once
// its fields are set.
type Fetcher struct {
	// Client makes the requests; when nil, a shared safehttp client that refuses
	// non-public addresses. Development mode passes one with AllowPrivate.
	Client *http.Client
	// Internal lists the company's hosts, never fetched (not even through a redirect
	// or an oEmbed link): "wiki.corp.example" names that host, "*.corp.example" (or
	// ".corp.example") that domain and every name under it. Case-insensitive; ports
	// are ignored.
	Internal []string
	// MaxBytes caps what is read of a page, and of its oEmbed document. A longer page
	// is not an error: it is read up to the cap, since what a card needs is in the
	// <head> at its start.
	MaxBytes int64
	// Timeout bounds one Fetch, the page and its oEmbed document together.
	Timeout time.Duration
	// UserAgent, when set, is sent with every request.
	UserAgent string
}

var defaultClient = sync.OnceValue(func() *http.Client { return safehttp.NewClient(safehttp.Options{}) })

// Fetch returns the card for rawURL. Errors: ErrBadURL and ErrInternal before any
// request is made; ErrNotHTML, ErrStatus, ErrNoCard for pages that give no card;
// otherwise a wrapped network error (errors.Is finds safehttp.ErrNotPublic for a
// private address, context.DeadlineExceeded after Timeout). A failing oEmbed
// document is not an error: the card is made from the page alone. Meant for a
// background job whose result (card or error) the caller caches per URL.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Card, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return Card{}, ErrBadURL
	}
	if f.isInternal(u.Hostname()) {
		return Card{}, fmt.Errorf("%w: %s", ErrInternal, u.Hostname())
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := f.client()

	resp, err := f.get(ctx, client, u, "text/html,application/xhtml+xml;q=0.9")
	if err != nil {
		return Card{}, err
	}
	defer resp.Body.Close()
	page := resp.Request.URL // after redirects: what relative URLs resolve against
	body := bufio.NewReader(io.LimitReader(resp.Body, f.maxBytes()))
	contentType := resp.Header.Get("Content-Type")
	if contentType == "" {
		sniff, _ := body.Peek(512)
		contentType = http.DetectContentType(sniff)
	}
	if !isHTML(contentType) {
		return Card{}, fmt.Errorf("%w (%s)", ErrNotHTML, contentType)
	}
	r, err := charset.NewReader(body, contentType)
	if err == io.EOF {
		return Card{}, ErrNoCard
	}
	if err != nil {
		return Card{}, fmt.Errorf("linkpreview: reading %s: %w", u.Redacted(), err)
	}
	h, err := parseHead(r)
	if err != nil {
		return Card{}, fmt.Errorf("linkpreview: reading %s: %w", u.Redacted(), err)
	}

	var o *oembed
	if ou, ok := resolveHTTP(page, h.oembed); ok {
		o = f.fetchOEmbed(ctx, client, ou)
	}
	card := makeCard(page, h, o)
	if card.Title == "" {
		return Card{}, ErrNoCard
	}
	return card, nil
}

// get sends a GET for u; the answer is 2xx or an error.
func (f *Fetcher) get(ctx context.Context, client *http.Client, u *url.URL, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, ErrBadURL
	}
	req.Header.Set("Accept", accept)
	if f.UserAgent != "" {
		req.Header.Set("User-Agent", f.UserAgent)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("linkpreview: fetching %s: %w", u.Redacted(), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s answered %d", ErrStatus, u.Redacted(), resp.StatusCode)
	}
	return resp, nil
}

// client is f.Client, or the default, refusing redirects to internal hosts: they
// may well have public addresses, which the client's own check lets through.
func (f *Fetcher) client() *http.Client {
	base := f.Client
	if base == nil {
		base = defaultClient()
	}
	c := *base
	next := base.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if f.isInternal(req.URL.Hostname()) {
			return fmt.Errorf("%w: %s", ErrInternal, req.URL.Hostname())
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 { // net/http's own limit when CheckRedirect is nil
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return f.MaxBytes
}

// isInternal reports whether host matches one of f.Internal.
func (f *Fetcher) isInternal(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, p := range f.Internal {
		p = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(p)), ".")
		domain, isDomain := strings.CutPrefix(p, "*")
		if isDomain || strings.HasPrefix(p, ".") {
			domain = strings.TrimPrefix(domain, ".")
			if domain != "" && (host == domain || strings.HasSuffix(host, "."+domain)) {
				return true
			}
			continue
		}
		if p != "" && host == p {
			return true
		}
	}
	return false
}

func isHTML(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}
