package activitypub

// The signed HTTP client every outgoing federation request goes through: it bounds
// time and size, dials through the Guard, and signs each request, so no caller can
// forget one of them.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Media types of ActivityPub requests.
const (
	// FetchAccept is the Accept header of a GET for an ActivityStreams document.
	FetchAccept = ContentType + ", " + ContentTypeLD
)

// Client defaults.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 1 << 20
	DefaultMaxRedirects     = 3
	maxRetryAfter           = 24 * time.Hour
)

// Errors from Client, besides *HTTPError and network errors.
var (
	ErrResponseTooLarge = errors.New("activitypub: response larger than the limit")
	ErrTooManyRedirects = errors.New("activitypub: too many redirects")
	// ErrRefusedURL: not an absolute https URL (http too in development), or refused
	// by ClientOptions.CheckHost.
	ErrRefusedURL = errors.New("activitypub: refusing URL")
)

// ClientOptions configure a Client; zero values take the defaults.
type ClientOptions struct {
	UserAgent string
	// Signer signs every request; nil sends them unsigned.
	Signer *Signer
	// Timeout bounds one call, redirects and reading the body included.
	Timeout time.Duration
	// MaxResponseBytes bounds a response body; a larger one is an error, never
	// silently cut short.
	MaxResponseBytes int64
	// MaxRedirects a GET follows; negative follows none. A POST follows none.
	MaxRedirects int
	// Development allows http URLs and loopback addresses, and resolves *.localhost
	// to 127.0.0.1 (see Guard.AllowLoopback).
	Development bool
	// CheckHost, when set, is asked before every request, the target of each redirect
	// included, with the lowercased host[:port] (default port dropped). A non-nil
	// answer refuses the request: this is where a caller enforces whom it talks to.
	CheckHost func(ctx context.Context, host string) error
	// Now is the clock for Retry-After dates; nil: time.Now.
	Now func() time.Time
}

// Client makes signed, guarded ActivityPub requests. It is safe for concurrent use.
type Client struct {
	opts ClientOptions
	http *http.Client
}

// NewClient returns a Client whose connections go through a Guard that allows
// loopback only in development.
func NewClient(opts ClientOptions) *Client {
	return newClient(opts, Guard{AllowLoopback: opts.Development}.Transport())
}

func newClient(opts ClientOptions, transport http.RoundTripper) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Client{opts: opts, http: &http.Client{
		Transport: transport,
		// Redirects are followed by hand, so each hop is checked and signed anew.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// HTTPError is an answer other than 2xx.
type HTTPError struct {
	Method     string
	URL        string
	Status     int
	RetryAfter time.Duration // from Retry-After, 0 when absent; at most 24 hours
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("activitypub: %s %s: status %d", e.Method, e.URL, e.Status)
}

// Get fetches an ActivityStreams document: GetAccept with FetchAccept.
func (c *Client) Get(ctx context.Context, rawURL string) (body []byte, status int, err error) {
	return c.GetAccept(ctx, rawURL, FetchAccept)
}

// GetAccept makes a signed GET with the given Accept header (a WebFinger or NodeInfo
// fetch wants its own). It follows at most MaxRedirects redirects, each one checked
// like the first URL and signed again for its own target: a signature names method,
// path and host, so the old one would not verify there. The body comes back with a
// 2xx status and nil error, or with an *HTTPError for any other status; err is
// ErrResponseTooLarge past MaxResponseBytes.
func (c *Client) GetAccept(ctx context.Context, rawURL, accept string) (body []byte, status int, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, resp, err := c.get(ctx, rawURL, accept, true)
	if err != nil {
		return nil, status, err
	}
	body, err = c.readBody(resp)
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("GET %s: %w", req.URL, err)
	}
	return body, resp.StatusCode, c.statusError(req, resp)
}

// Open is GetAccept for a file too large to hold (an attachment), allowed timeout to
// arrive: the body is for the caller to read, bounded by what it accepts, and to
// close. It follows no redirect: a file is fetched from the server that named it,
// which answers for it. A status other than 2xx is an *HTTPError, with nothing to
// close.
func (c *Client) Open(ctx context.Context, rawURL, accept string, timeout time.Duration) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req, resp, err := c.get(ctx, rawURL, accept, false)
	if err != nil {
		cancel()
		return nil, err
	}
	if err := c.statusError(req, resp); err != nil {
		drain(resp.Body)
		cancel()
		return nil, err
	}
	return &cancelBody{ReadCloser: resp.Body, cancel: cancel}, nil
}

// cancelBody ends its request's context when closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// get makes the signed GET, following redirects when follow, and returns the last
// response, whose body the caller reads and closes.
func (c *Client) get(ctx context.Context, rawURL, accept string, follow bool) (*http.Request, *http.Response, error) {
	u, err := c.checkURL(ctx, nil, rawURL)
	if err != nil {
		return nil, nil, err
	}
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrRefusedURL, err)
		}
		req.Header.Set("Accept", accept)
		resp, err := c.send(req, nil)
		if err != nil {
			return nil, nil, err
		}
		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			drain(resp.Body)
			if !follow || hop >= c.opts.MaxRedirects {
				return nil, nil, fmt.Errorf("%w: %s", ErrTooManyRedirects, rawURL)
			}
			if u, err = c.checkURL(ctx, u, loc); err != nil {
				return nil, nil, err
			}
			continue
		}
		return req, resp, nil
	}
}

// Post delivers body to inbox, signed, with Content-Type ContentType. It
// follows no redirect (a moved inbox is the sender's to fix: a 3xx is permanent). err
// is nil for 2xx, an *HTTPError for any other status (retryAfter also set from
// Retry-After), or a network or guard error; Classify tells a delivery worker what to
// do with it.
func (c *Client) Post(ctx context.Context, inbox string, body []byte) (status int, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	u, err := c.checkURL(ctx, nil, inbox)
	if err != nil {
		return 0, 0, err
	}
	if body == nil {
		body = []byte{}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrRefusedURL, err)
	}
	req.Header.Set("Content-Type", ContentType)
	resp, err := c.send(req, body)
	if err != nil {
		return 0, 0, err
	}
	drain(resp.Body)
	err = c.statusError(req, resp)
	var he *HTTPError
	if errors.As(err, &he) {
		retryAfter = he.RetryAfter
	}
	return resp.StatusCode, retryAfter, err
}

// send sets the User-Agent, signs req and sends it.
func (c *Client) send(req *http.Request, body []byte) (*http.Response, error) {
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	if c.opts.Signer != nil {
		if err := c.opts.Signer.Sign(req, body); err != nil {
			return nil, err
		}
	}
	return c.http.Do(req)
}

// checkURL resolves ref against base (nil for none) and refuses anything the client
// must not request.
func (c *Client) checkURL(ctx context.Context, base *url.URL, ref string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err == nil && base != nil {
		u = base.ResolveReference(u)
	}
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" ||
		u.Scheme != "https" && !(c.opts.Development && u.Scheme == "http") {
		return nil, fmt.Errorf("%w: %q", ErrRefusedURL, ref)
	}
	u.Fragment, u.RawFragment = "", ""
	if c.opts.CheckHost != nil {
		if err := c.opts.CheckHost(ctx, canonicalHost(u)); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrRefusedURL, u.Host, err)
		}
	}
	return u, nil
}

// readBody reads and closes resp.Body, refusing one longer than MaxResponseBytes.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	limit := c.opts.MaxResponseBytes
	if resp.ContentLength > limit {
		return nil, ErrResponseTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrResponseTooLarge
	}
	return b, nil
}

func (c *Client) statusError(req *http.Request, resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &HTTPError{
		Method:     req.Method,
		URL:        req.URL.String(),
		Status:     resp.StatusCode,
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), c.opts.Now()),
	}
}

// drain reads a little of an unwanted body, so the connection can be reused when the
// body is short, and closes it.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// ParseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date, as a
// duration from now: 0 when absent, malformed or past, at most 24 hours (a remote
// server does not get to park a delivery for ever).
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if strings.Trim(v, "0123456789") == "" {
		d = maxRetryAfter // also when too long to parse
		if n, err := strconv.ParseUint(v, 10, 64); err == nil && n < uint64(maxRetryAfter/time.Second) {
			d = time.Duration(n) * time.Second
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// Outcome is what a delivery worker does after a request.
type Outcome int

const (
	OutcomeDelivered Outcome = iota // 2xx: done
	OutcomeRetry                    // try again later (after RetryAfter when set)
	OutcomeGiveUp                   // permanent: retrying cannot help
)

func (o Outcome) String() string {
	switch o {
	case OutcomeDelivered:
		return "delivered"
	case OutcomeRetry:
		return "retry"
	}
	return "give up"
}

// Classify maps the error of a Client call to an Outcome: nil is OutcomeDelivered;
// 408, 429 and 5xx answers, network errors and timeouts are OutcomeRetry; other
// answers (410 Gone and other 4xx, 3xx), refused URLs and addresses, oversized
// responses and redirect loops are OutcomeGiveUp.
func Classify(err error) Outcome {
	var he *HTTPError
	switch {
	case err == nil:
		return OutcomeDelivered
	case errors.As(err, &he):
		if he.Status == http.StatusRequestTimeout || he.Status == http.StatusTooManyRequests || he.Status >= 500 {
			return OutcomeRetry
		}
		return OutcomeGiveUp
	case errors.Is(err, ErrBlockedAddress), errors.Is(err, ErrRefusedURL),
		errors.Is(err, ErrResponseTooLarge), errors.Is(err, ErrTooManyRedirects):
		return OutcomeGiveUp
	}
	return OutcomeRetry
}
