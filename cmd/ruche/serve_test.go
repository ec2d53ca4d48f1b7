package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestNewInstance walks the first day of a hive over real HTTP: set-up link, owner,
// invite, a colleague joins, suspension, sign-out.
func TestNewInstance(t *testing.T) {
	m, base := boot(t)
	if m.SetupURL == "" {
		t.Fatal("no setup link on an empty instance")
	}
	setup := strings.TrimPrefix(m.SetupURL, m.Config.BaseURL())
	anon := newBrowser(t, base)

	// Private by default.
	wantRedirect(t, anon.get("/"), "/login")
	wantRedirect(t, anon.get("/admin"), "/login?next=%2Fadmin")
	// An unknown address looks like a private one: nobody can map what exists.
	wantRedirect(t, anon.get("/no/such/page"), "/login")
	wantJSONError(t, anon.get("/api/v9/nothing"), http.StatusUnauthorized)
	wantRedirect(t, anon.get("/static/"), "/login")
	wantJSONError(t, anon.get("/api/v1/timelines/home"), http.StatusUnauthorized)
	want(t, anon.get("/healthz"), 200, "ok")
	want(t, anon.get("/readyz"), 200, "ready")
	want(t, anon.get("/login"), 200, "Sign in")
	want(t, anon.get("/setup/not-the-token"), 404, "setup link is not valid")

	// A form without its CSRF token is refused and changes nothing.
	want(t, anon.do("POST", setup, account("ana", "a long password")), http.StatusForbidden, "")
	// Bad input: a clear error, the link still works.
	want(t, anon.submit(setup, setup, account("ana", "short")), 422, "at least 10 characters")
	want(t, anon.submit(setup, setup, account("Ana Smith", "a long password")), 422, "1 to 30")

	owner := newBrowser(t, base)
	wantRedirect(t, owner.submit(setup, setup, account("ana", "a long password")), "/?done=welcome")
	want(t, owner.get("/"), 200, "Hello, Ana")
	want(t, anon.get(setup), 404, "")

	// The owner invites a colleague.
	p := owner.submit("/admin", "/admin/invites", url.Values{"role": {"member"}, "max_uses": {"1"}, "days": {"7"}})
	want(t, p, 200, "Invite link created")
	link := regexp.MustCompile(`/invite/[A-Za-z0-9_-]{43}`).FindString(p.body)
	if link == "" {
		t.Fatalf("no invite link in:\n%s", p.body)
	}
	want(t, owner.submit("/admin", "/admin/invites", url.Values{"role": {"admin"}, "max_uses": {"1"}, "days": {"7"}}), 422, "member or a guest")

	bob := newBrowser(t, base)
	want(t, bob.submit(link, link, account("ana", "bob's password")), 409, "already taken")
	wantRedirect(t, bob.submit(link, link, account("bob", "bob's password")), "/?done=welcome")
	want(t, bob.get("/"), 200, "Hello, Bob")
	want(t, bob.get("/admin"), 403, "not allowed")
	// A used-up invite.
	want(t, newBrowser(t, base).get(link), 404, "cannot be used")

	// Sign-in: wrong password, then right.
	carol := newBrowser(t, base)
	want(t, carol.submit("/login", "/login", url.Values{"login": {"bob"}, "password": {"wrong!"}}), 401, "not correct")
	wantRedirect(t, carol.submit("/login?next=/settings", "/login", url.Values{"login": {"bob@example.com"}, "password": {"bob's password"}, "next": {"/settings"}}), "/settings")
	// An open redirect is not possible.
	wantRedirect(t, newBrowser(t, base).submit("/login", "/login", url.Values{"login": {"bob"}, "password": {"bob's password"}, "next": {"//evil.example/"}}), "/")

	// Suspending Bob signs him out everywhere at once.
	wantRedirect(t, owner.submit("/admin", "/admin/users/bob/suspend", url.Values{}), "/admin?done=suspended")
	wantRedirect(t, bob.get("/"), "/login")
	wantRedirect(t, carol.get("/settings"), "/login")
	want(t, newBrowser(t, base).submit("/login", "/login", url.Values{"login": {"bob"}, "password": {"bob's password"}}), 403, "suspended")
	want(t, owner.get("/admin"), 200, "account suspended")

	// The last admin cannot demote herself.
	want(t, owner.submit("/admin", "/admin/users/ana/role", url.Values{"role": {"member"}}), 422, "at least one active administrator")

	// The member's language setting wins over the browser's.
	wantRedirect(t, owner.submit("/settings", "/settings/language", url.Values{"locale": {"fr"}}), "/settings?done=saved")
	want(t, owner.get("/"), 200, "Bonjour, Ana")
	want(t, owner.submit("/settings", "/settings/language", url.Values{"locale": {"tlh"}}), 422, "")
	wantRedirect(t, owner.submit("/settings", "/settings/language", url.Values{"locale": {""}}), "/settings?done=saved")
	want(t, owner.get("/"), 200, "Hello, Ana")

	// Sign-out ends the session.
	wantRedirect(t, owner.submit("/", "/logout", url.Values{}), "/login")
	wantRedirect(t, owner.get("/"), "/login")
}

func TestLanguage(t *testing.T) {
	_, base := boot(t)
	b := newBrowser(t, base)
	b.lang = "fr-FR,fr;q=0.9"
	want(t, b.get("/login"), 200, "Connectez-vous")
	want(t, b.submit("/login", "/login", url.Values{"login": {"nobody"}, "password": {"wrong"}}), 401, "est incorrect")
	b.lang = "de"
	want(t, b.get("/login"), 200, "Sign in to")
	b.lang = "fr"
	wantJSONError(t, b.get("/api/v1/accounts/verify_credentials"), http.StatusUnauthorized)
	if p := b.get("/api/v1/accounts/verify_credentials"); !strings.Contains(p.body, "jeton") {
		t.Errorf("API error not in French: %s", p.body)
	}
}

// TestEveryRouteIsPrivateUnlessDeclared asks every route, anonymously, and expects a
// refusal unless the route is on the declared public list.
func TestEveryRouteIsPrivateUnlessDeclared(t *testing.T) {
	m, base := boot(t)
	srv := m.http.Handler.(interface {
		Routes() []string
		PublicPatterns() map[string]string
	})
	public := srv.PublicPatterns()
	for _, reason := range public {
		if reason == "" {
			t.Error("a public route has no reason")
		}
	}
	routes := srv.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes found: %v", len(routes), routes)
	}
	t.Logf("%d routes, %d public", len(routes), len(public))
	b := newBrowser(t, base)
	for _, rt := range routes {
		method, pattern, _ := strings.Cut(rt, " ")
		path := strings.NewReplacer("{token}", "x", "{id}", "1", "{username}", "ana", "{tag}", "x", "{handle}", "ops", "{action}", "like", "*", "v1/x").Replace(pattern)
		if _, ok := public[rt]; ok {
			continue
		}
		var p page
		if method == "GET" {
			p = b.get(path)
		} else {
			p = b.submit("/login", path, url.Values{}) // a valid CSRF token: only authentication stops it
		}
		// The API's and federation's refusals are JSON: servers are told to sign.
		if strings.HasPrefix(path, "/api/") || path == "/oauth/userinfo" || path == "/inbox" || strings.HasPrefix(path, "/actor/") || strings.HasPrefix(path, "/ap/") {
			wantJSONError(t, p, http.StatusUnauthorized)
		} else {
			wantRedirect(t, p, "/login")
		}
	}
}
