package capurl

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	key1 = bytes.Repeat([]byte{0x11}, 32)
	key2 = bytes.Repeat([]byte{0x22}, 32)
	// day is 2026-03-10, UTC; the tests move around it.
	day = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
)

const path = "/media/ab/cdef0123-orig.jpg"

// check signs nothing; it parses a URL as a browser would send it back and
// checks it, so the tests exercise Sign's output format end to end.
func check(t *testing.T, s Signer, rawURL string, now time.Time) error {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", rawURL, err)
	}
	return s.Check(u.Path, u.Query(), now)
}

func TestSignFormat(t *testing.T) {
	s := Signer{Key: key1}
	got := s.Sign(path, day.Add(13*time.Hour))
	wantPrefix := path + "?e=" + strconv.FormatInt(day.Add(48*time.Hour).Unix(), 10) + "&s="
	if !strings.HasPrefix(got, wantPrefix) {
		t.Fatalf("Sign: got %q, want prefix %q", got, wantPrefix)
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(got, wantPrefix))
	if err != nil || len(sig) != 21 || sig[0] != 1 {
		t.Errorf("signature: got %x (%v), want version byte 1 and 20 MAC bytes", sig, err)
	}
}

func TestIdenticalWithinPeriod(t *testing.T) {
	s := Signer{Key: key1}
	first := s.Sign(path, day)
	for _, at := range []time.Duration{time.Second, 6 * time.Hour, 23*time.Hour + 59*time.Minute + 59*time.Second} {
		if got := s.Sign(path, day.Add(at)); got != first {
			t.Errorf("Sign at +%v: got %q, want %q as at midnight", at, got, first)
		}
	}
	// The same instant in another time zone is the same period.
	paris := day.Add(12 * time.Hour).In(time.FixedZone("CET", 3600))
	if got := s.Sign(path, paris); got != first {
		t.Errorf("Sign in CET: got %q, want %q", got, first)
	}
	next := s.Sign(path, day.Add(24*time.Hour))
	if next == first {
		t.Errorf("Sign at next midnight: got the same URL %q, want a new one", next)
	}
	if other := s.Sign("/media/ab/other.jpg", day); other[strings.Index(other, "&s="):] == first[strings.Index(first, "&s="):] {
		t.Errorf("two paths share a signature: %q and %q", other, first)
	}
}

func TestLifetime(t *testing.T) {
	for _, c := range []struct {
		name          string
		signer        Signer
		issued        time.Time
		lastValid     time.Time // one second later it is invalid
		wantExpiresAt time.Time
	}{
		{"defaults, issued at start of day", Signer{Key: key1}, day,
			day.Add(48*time.Hour - time.Second), day.Add(48 * time.Hour)},
		{"defaults, issued at end of day", Signer{Key: key1}, day.Add(24*time.Hour - time.Second),
			day.Add(48*time.Hour - time.Second), day.Add(48 * time.Hour)},
		{"hourly, grace 2", Signer{Key: key1, Period: time.Hour, Grace: 2}, day.Add(90 * time.Minute),
			day.Add(4*time.Hour - time.Second), day.Add(4 * time.Hour)},
		// 2026-03-10 is a Tuesday; weekly periods start on Thursdays, as 1970-01-01 did.
		{"weekly", Signer{Key: key1, Period: 7 * 24 * time.Hour}, day,
			time.Date(2026, 3, 18, 23, 59, 59, 0, time.UTC), time.Date(2026, 3, 19, 0, 0, 0, 0, time.UTC)},
		{"before 1970", Signer{Key: key1}, time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC),
			time.Date(1970, 1, 1, 23, 59, 59, 0, time.UTC), time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.signer.Expires(c.issued); !got.Equal(c.wantExpiresAt) {
				t.Errorf("Expires: got %v, want %v", got, c.wantExpiresAt)
			}
			u := c.signer.Sign(path, c.issued)
			for _, at := range []time.Time{c.issued, c.issued.Add(time.Second), c.lastValid} {
				if err := check(t, c.signer, u, at); err != nil {
					t.Errorf("Check at %v: got %v, want nil", at, err)
				}
			}
			for _, at := range []time.Time{c.lastValid.Add(time.Second), c.lastValid.Add(365 * 24 * time.Hour)} {
				if err := check(t, c.signer, u, at); err != ErrInvalid {
					t.Errorf("Check at %v: got %v, want ErrInvalid", at, err)
				}
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	s := Signer{Key: key1}
	now := day.Add(10 * time.Hour)
	good := s.Sign(path, now)
	u, _ := url.Parse(good)
	q := u.Query()
	e, sig := q.Get("e"), q.Get("s")
	eNum, _ := strconv.ParseInt(e, 10, 64)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(sig)
	wrongVersion := base64.RawURLEncoding.EncodeToString(append([]byte{2}, raw[1:]...))
	// A far expiry with a correct MAC, as a leaked long-lived configuration
	// or an old signer with a longer Period would produce.
	farE := eNum + 10*24*3600
	farSig := base64.RawURLEncoding.EncodeToString(append([]byte{1}, mac(key1, 1, farE, path)[:macLen]...))

	for _, c := range []struct {
		name  string
		path  string
		query string
	}{
		{"altered path", "/media/ab/cdef0123-orig.png", "e=" + e + "&s=" + sig},
		{"path prefix", "/media/ab/cdef0123-orig.jpg/x", "e=" + e + "&s=" + sig},
		{"altered expiry", path, "e=" + strconv.FormatInt(eNum+86400, 10) + "&s=" + sig},
		{"earlier expiry", path, "e=" + strconv.FormatInt(eNum-86400, 10) + "&s=" + sig},
		{"non-canonical expiry +", path, "e=%2B" + e + "&s=" + sig},
		{"non-canonical expiry 0", path, "e=0" + e + "&s=" + sig},
		{"expiry not a number", path, "e=tomorrow&s=" + sig},
		{"altered signature first char", path, "e=" + e + "&s=" + flip(sig, 0)},
		{"altered signature last char", path, "e=" + e + "&s=" + flip(sig, len(sig)-1)},
		{"truncated signature", path, "e=" + e + "&s=" + sig[:len(sig)-4]},
		{"padded signature", path, "e=" + e + "&s=" + sig + "%3D"},
		{"signature in std base64", path, "e=" + e + "&s=" + base64.StdEncoding.EncodeToString(raw)},
		{"wrong version byte", path, "e=" + e + "&s=" + wrongVersion},
		{"far expiry with valid MAC", path, "e=" + strconv.FormatInt(farE, 10) + "&s=" + farSig},
		{"missing signature", path, "e=" + e},
		{"missing expiry", path, "s=" + sig},
		{"empty signature", path, "e=" + e + "&s="},
		{"no query", path, ""},
		{"duplicate signature", path, "e=" + e + "&s=" + sig + "&s=" + sig},
		{"duplicate expiry", path, "e=" + e + "&e=" + e + "&s=" + sig},
	} {
		query, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatalf("%s: bad test query %q: %v", c.name, c.query, err)
		}
		if err := s.Check(c.path, query, now); err != ErrInvalid {
			t.Errorf("%s: got %v, want ErrInvalid", c.name, err)
		}
	}
	// The untouched URL, with an unrelated parameter added, passes: the
	// table above fails for its alterations, not for its setup.
	q.Set("download", "1")
	if err := s.Check(path, q, now); err != nil {
		t.Errorf("good URL: got %v, want nil", err)
	}
	if err := (Signer{Key: key2}).Check(path, q, now); err != ErrInvalid {
		t.Errorf("other key: got %v, want ErrInvalid", err)
	}
}

func TestClockSkewTolerated(t *testing.T) {
	s := Signer{Key: key1}
	// Signed by a server already past midnight, checked by one a minute
	// behind it.
	u := s.Sign(path, day)
	if err := check(t, s, u, day.Add(-time.Minute)); err != nil {
		t.Errorf("Check one minute before issue: got %v, want nil", err)
	}
	if err := check(t, s, u, day.Add(-time.Hour)); err != ErrInvalid {
		t.Errorf("Check an hour before issue: got %v, want ErrInvalid", err)
	}
}

func TestKeyRotation(t *testing.T) {
	old := Signer{Key: key1}
	rotated := Signer{Key: key2, Previous: [][]byte{key1}}
	now := day.Add(5 * time.Hour)
	oldURL := old.Sign(path, now)
	newURL := rotated.Sign(path, now)

	if newURL != (Signer{Key: key2}).Sign(path, now) {
		t.Errorf("Sign with Previous set: got %q, want it signed by Key alone", newURL)
	}
	if newURL == oldURL {
		t.Errorf("rotated signer: got the old URL %q, want a new signature", newURL)
	}
	for _, c := range []struct {
		name   string
		signer Signer
		url    string
		want   error
	}{
		{"rotated accepts old URL", rotated, oldURL, nil},
		{"rotated accepts new URL", rotated, newURL, nil},
		{"old signer refuses new URL", old, newURL, ErrInvalid},
		{"old key dropped", Signer{Key: key2}, oldURL, ErrInvalid},
	} {
		if err := check(t, c.signer, c.url, now); err != c.want {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestEscapedPath(t *testing.T) {
	s := Signer{Key: key1}
	p := "/media/odd name?#%.jpg"
	u := s.Sign(p, day)
	if !strings.HasPrefix(u, "/media/odd%20name%3F%23%25.jpg?e=") {
		t.Errorf("Sign: got %q, want the path escaped", u)
	}
	if err := check(t, s, u, day); err != nil {
		t.Errorf("Check: got %v, want nil", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		s     Signer
		valid bool
	}{
		{"defaults", Signer{Key: key1}, true},
		{"hourly", Signer{Key: key1, Period: time.Hour, Grace: 3}, true},
		{"a year", Signer{Key: key1, Period: 183 * 24 * time.Hour, Grace: 1}, true},
		{"no key", Signer{}, false},
		{"short key", Signer{Key: key1[:31]}, false},
		{"short previous key", Signer{Key: key1, Previous: [][]byte{key2[:16]}}, false},
		{"negative grace", Signer{Key: key1, Grace: -1}, false},
		{"negative period", Signer{Key: key1, Period: -time.Hour}, false},
		{"fractional period", Signer{Key: key1, Period: 1500 * time.Millisecond}, false},
		{"lifetime over a year", Signer{Key: key1, Period: 24 * time.Hour, Grace: 366}, false},
		{"period over a year", Signer{Key: key1, Period: 400 * 24 * time.Hour}, false},
		{"huge grace", Signer{Key: key1, Grace: int(^uint(0) >> 1)}, false},
	} {
		err := c.s.Validate()
		if (err == nil) != c.valid {
			t.Errorf("%s: got %v, want valid=%v", c.name, err, c.valid)
		}
		if !c.valid {
			// An unusable signer fails closed on Check and loudly on Sign.
			if err := c.s.Check(path, url.Values{"e": {"1"}, "s": {"x"}}, day); err != ErrInvalid {
				t.Errorf("%s: Check got %v, want ErrInvalid", c.name, err)
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: Sign did not panic", c.name)
					}
				}()
				c.s.Sign(path, day)
			}()
		}
	}
}
