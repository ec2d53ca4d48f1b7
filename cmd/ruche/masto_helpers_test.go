package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/apispec"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// mclient is a Mastodon app signed in as one member with one token. Every JSON
// answer it gets is checked against Mastodon's API description (internal/apispec).
type mclient struct {
	t     *testing.T
	base  string
	token string
	user  ruche.User
	c     *http.Client
}

// member creates a member with role and returns an app holding a token of theirs with
// the given scopes ("read write follow push" if none).
func member(t *testing.T, m *Main, base, username string, role ruche.Role, scopes ...string) *mclient {
	t.Helper()
	ctx := context.Background()
	accounts := &ruche.Accounts{Store: m.db.store}
	u, err := accounts.CreateUser(ctx, nil, ruche.NewUser{Username: username, Email: username + "@example.com",
		DisplayName: strings.ToUpper(username[:1]) + username[1:], Password: "a long password", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return withToken(t, m, base, u, scopes...)
}

// withToken returns an app holding a new token of u with the given scopes.
func withToken(t *testing.T, m *Main, base string, u ruche.User, scopes ...string) *mclient {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"read write follow push"}
	}
	sc, err := ruche.ParseScopes(strings.Join(scopes, " "))
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := (&ruche.OAuth{Store: m.db.store}).CreatePersonalToken(context.Background(), u, "test app", sc)
	if err != nil {
		t.Fatal(err)
	}
	return &mclient{t: t, base: base, token: tok.AccessToken, user: u, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// reply is one answer of the API.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// into decodes the body into v.
func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request: body is nil, url.Values (a form) or anything else (JSON). The
// answer is validated against the spec: a success against the operation's schema, an
// error against Mastodon's Error.
func (c *mclient) do(method, path string, body any) reply {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	checkSpec(c.t, method, path, r)
	return r
}

// checkSpec validates an answer against Mastodon's API description.
func checkSpec(t *testing.T, method, path string, r reply) {
	t.Helper()
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		return
	}
	p, _, _ := strings.Cut(path, "?")
	if r.status >= 400 {
		if err := apispec.Schema("Error", r.body); err != nil {
			t.Errorf("%s %s → %d: not Mastodon's error body: %v\n%s", method, path, r.status, err, r.body)
		}
		return
	}
	tmpl, ok := apispec.MatchPath(method, p)
	if !ok {
		return // not a Mastodon route (Ruche's own, or OAuth's)
	}
	err := apispec.Response(method, tmpl, r.status, r.body)
	if errors.Is(err, apispec.ErrNoSchema) {
		// Mastodon's description gives no schema for some answers: "{}" ones, and
		// preferences, whose entity exists under its own name.
		err = nil
		if schema, ok := noSchema[tmpl]; ok {
			err = apispec.Schema(schema, r.body)
		} else if !json.Valid(r.body) {
			err = fmt.Errorf("not JSON")
		}
		if err == nil {
			apispec.Record(method, tmpl)
		}
	}
	if err != nil {
		t.Errorf("%s %s → %d does not match Mastodon's schema: %v\n%.2000s", method, path, r.status, err, r.body)
	}
}

// noSchema names the entity of answers the description gives no schema for.
var noSchema = map[string]string{"/api/v1/preferences": "Preferences"}

// ok sends a request and fails the test unless it answers 200.
func (c *mclient) ok(method, path string, body any) reply {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != http.StatusOK {
		c.t.Fatalf("%s %s → %d: %s", method, path, r.status, r.body)
	}
	return r
}

// want sends a request and fails the test unless it answers status.
func (c *mclient) want(status int, method, path string, body any) reply {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != status {
		c.t.Fatalf("%s %s → %d, want %d: %s", method, path, r.status, status, r.body)
	}
	return r
}

// wantSoon is want for a change made by another process (an operator command): the
// node hears of it through PostgreSQL within milliseconds, and meanwhile may answer
// with one of meanwhile (never anything else).
func (c *mclient) wantSoon(status int, meanwhile []int, method, path string, body any) reply {
	c.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		r := c.do(method, path, body)
		if r.status == status {
			return r
		}
		if !slices.Contains(meanwhile, r.status) || time.Now().After(deadline) {
			c.t.Fatalf("%s %s → %d, want %d: %s", method, path, r.status, status, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get decodes a 200 answer of GET path into v.
func (c *mclient) get(path string, v any) reply {
	c.t.Helper()
	r := c.ok("GET", path, nil)
	r.into(c.t, v)
	return r
}

// idOf is the id of a member or post for paths.
func idOf(id int64) string { return strconv.FormatInt(id, 10) }
