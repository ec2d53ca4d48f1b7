// Package capurl signs and checks the capability URLs under which media is
// handed to viewers.
//
// Apps load images and videos without credentials (an <img> tag, a native
// image cache) and keep timelines cached for days, so a media URL must work
// on its own, yet only for people who were allowed to see the post. The
// server therefore hands out URLs that carry an HMAC over the file's path and
// an expiry. The expiry is rounded to a period (a UTC day by default), so the
// same file gets the identical URL all period long and HTTP and app caches
// keep hitting; and it is bounded, so the URLs a removed member still holds
// stop working at their expiry.
//
// With the defaults (Period 24h, Grace 1) a URL signed at any moment of UTC
// day D carries the expiry 00:00:00 UTC of day D+2: it is valid through
// 23:59:59 of day D+1, between 24 and 48 hours after it was handed out.
package capurl

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// ErrInvalid is the only error Check returns, whatever the cause (missing,
// altered, expired, malformed): the caller answers 404 and neither it nor the
// requester needs to learn more.
var ErrInvalid = errors.New("capurl: invalid capability")

const (
	// DefaultPeriod is used when Signer.Period is zero.
	DefaultPeriod = 24 * time.Hour
	// DefaultGrace is used when Signer.Grace is zero.
	DefaultGrace = 1
	// MinKeyLen is the shortest key accepted, SHA-256's output size: a
	// shorter key would be the weakest part of the MAC.
	MinKeyLen = 32
	// MaxLifetime bounds Period*(Grace+1). A URL is a bearer credential
	// that outlives membership; a configuration asking for more than this
	// is refused rather than honoured.
	MaxLifetime = 366 * 24 * time.Hour
	// clockSkew tolerates servers whose clocks differ slightly: without it
	// a URL signed just after a period boundary on one server would be
	// refused, for the skew's duration, by another still before it.
	clockSkew = 5 * time.Minute
)

// version is the first byte of every signature, covered by the MAC, so a
// future format can coexist with this one.
const version byte = 1

// macLen is the truncated MAC length: 160 bits leaves forgery out of reach
// and keeps the URL short (28 characters with the version byte).
const macLen = 20

// domain separates these MACs from any other use of the same key.
const domain = "ruche capurl\x00"

// Signer makes and checks capability URLs. A zero Period or Grace takes the
// default; call Validate once at startup. Methods may be called concurrently.
type Signer struct {
	// Key signs and checks; at least MinKeyLen random bytes.
	Key []byte
	// Previous keys are accepted by Check, never used by Sign. After a key
	// rotation keep the old key here for one URL lifetime,
	// Period*(Grace+1), so URLs in caches keep working until they expire.
	Previous [][]byte
	// Period is the signing period, aligned to the Unix epoch (so to UTC
	// midnight for whole days). A whole number of seconds.
	Period time.Duration
	// Grace is how many whole periods after the current one a URL stays
	// valid. Zero means DefaultGrace; a URL valid only until the end of its
	// own period is not offered, since one signed a second before the
	// boundary would be dead on arrival.
	Grace int
}

// Validate reports a configuration that Sign and Check cannot use: a key
// (current or previous) shorter than MinKeyLen, a negative Grace, a Period
// that is negative or not a whole number of seconds, or a lifetime
// Period*(Grace+1) beyond MaxLifetime.
func (s Signer) Validate() error {
	if len(s.Key) < MinKeyLen {
		return fmt.Errorf("capurl: key is %d bytes, want at least %d", len(s.Key), MinKeyLen)
	}
	for i, k := range s.Previous {
		if len(k) < MinKeyLen {
			return fmt.Errorf("capurl: previous key %d is %d bytes, want at least %d", i, len(k), MinKeyLen)
		}
	}
	if s.Period < 0 || s.Period%time.Second != 0 {
		return fmt.Errorf("capurl: period %v must be a positive whole number of seconds", s.Period)
	}
	if s.Grace < 0 {
		return fmt.Errorf("capurl: grace %d must not be negative", s.Grace)
	}
	period, grace := s.params()
	// grace >= MaxLifetime/period is period*(grace+1) > MaxLifetime
	// without the overflow.
	if period > MaxLifetime || int64(grace) >= int64(MaxLifetime/period) {
		return fmt.Errorf("capurl: lifetime %v × %d exceeds %v", period, grace+1, MaxLifetime)
	}
	return nil
}

func (s Signer) params() (period time.Duration, grace int) {
	period, grace = s.Period, s.Grace
	if period == 0 {
		period = DefaultPeriod
	}
	if grace == 0 {
		grace = DefaultGrace
	}
	return period, grace
}

// Expires returns when a URL signed at now stops being valid: the end of
// the period Grace periods after the current one. Servers can use it for
// Cache-Control lifetimes. It panics if Validate fails.
func (s Signer) Expires(now time.Time) time.Time {
	return time.Unix(s.expiry(now), 0).UTC()
}

func (s Signer) expiry(now time.Time) int64 {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	period, grace := s.params()
	p := int64(period / time.Second)
	t := now.Unix()
	idx := t / p
	if t%p < 0 { // floor for instants before 1970
		idx--
	}
	return (idx + 1 + int64(grace)) * p
}

// Sign returns path, escaped for use in a URL, followed by the query
// "?e=<expiry unix seconds>&s=<signature>". path is the decoded URL path
// exactly as the server will later see it in r.URL.Path, without query or
// fragment. Within one period the result for a path is identical.
// Sign panics if Validate fails: the configuration is checked at startup,
// not per request.
func (s Signer) Sign(path string, now time.Time) string {
	e := s.expiry(now)
	sig := make([]byte, 1, 1+macLen)
	sig[0] = version
	sig = append(sig, mac(s.Key, version, e, path)[:macLen]...)
	return (&url.URL{Path: path}).EscapedPath() +
		"?e=" + strconv.FormatInt(e, 10) +
		"&s=" + base64.RawURLEncoding.EncodeToString(sig)
}

// Check verifies that query holds a valid, unexpired signature for path (the
// decoded path, r.URL.Path) at now. Parameters other than e and s are
// ignored. It returns nil or ErrInvalid, and ErrInvalid too when the Signer
// itself is invalid, so a bad configuration fails closed.
func (s Signer) Check(path string, query url.Values, now time.Time) error {
	if s.Validate() != nil {
		return ErrInvalid
	}
	es, ss := query["e"], query["s"]
	if len(es) != 1 || len(ss) != 1 {
		return ErrInvalid
	}
	e, err := strconv.ParseInt(es[0], 10, 64)
	// Only the canonical spelling: "+5" or "05" would otherwise name the
	// same expiry under a different URL.
	if err != nil || strconv.FormatInt(e, 10) != es[0] {
		return ErrInvalid
	}
	period, grace := s.params()
	t := now.Unix()
	maxAhead := int64((period*time.Duration(grace+1) + clockSkew) / time.Second)
	if e <= t || e-t > maxAhead {
		return ErrInvalid
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(ss[0])
	if err != nil || len(sig) != 1+macLen || sig[0] != version {
		return ErrInvalid
	}
	ok := false
	for _, key := range append([][]byte{s.Key}, s.Previous...) {
		// No early exit: the time taken does not tell which key matched.
		if hmac.Equal(mac(key, version, e, path)[:macLen], sig[1:]) {
			ok = true
		}
	}
	if !ok {
		return ErrInvalid
	}
	return nil
}

// mac covers the format version, the expiry and the path, in a fixed-length
// prefix then the path, so no two inputs share an encoding.
func mac(key []byte, v byte, expiry int64, path string) []byte {
	h := hmac.New(sha256.New, key)
	var hdr [len(domain) + 1 + 8]byte
	copy(hdr[:], domain)
	hdr[len(domain)] = v
	binary.BigEndian.PutUint64(hdr[len(domain)+1:], uint64(expiry))
	h.Write(hdr[:])
	h.Write([]byte(path))
	return h.Sum(nil)
}
