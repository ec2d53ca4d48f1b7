package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestMastoOAuthSwitchAccount: an app adding a second account (force_login=true) lets
// the member sign in as someone else from the consent page and come back to it.
func TestMastoOAuthSwitchAccount(t *testing.T) {
	m, base := boot(t)
	b := signedIn(t, m, base, "alice", "member")
	signedIn(t, m, base, "bob", "member")
	const redirect = "https://app.example/cb"
	app := oaRegister(t, base, url.Values{"client_name": {"Ice Cubes"}, "redirect_uris": {redirect}, "scopes": {"read"}})
	authURL := oaAuthorizeURL(app.ClientID, redirect, "read", "s", "")
	consent := b.get(strings.Replace(authURL, "force_login=false", "force_login=true", 1))
	want(t, consent, http.StatusOK, "choose the account")
	want(t, consent, http.StatusOK, "Not @alice?")
	found := regexp.MustCompile(`name="next" value="([^"]+)"`).FindStringSubmatch(consent.body)
	if found == nil {
		t.Fatalf("no way to use another account:\n%s", consent.body)
	}
	again := html.UnescapeString(found[1])
	if strings.Contains(again, "force_login") || !strings.HasPrefix(again, "/oauth/authorize?") {
		t.Fatalf("switching comes back to %q", again)
	}
	out := b.submit(authURL, "/logout", url.Values{"next": {again}})
	wantRedirect(t, out, "/login?next=")
	back := b.submit(out.location, "/login?next="+url.QueryEscape(again), url.Values{"login": {"bob"}, "password": {"a long password"}, "next": {again}})
	wantRedirect(t, back, "/oauth/authorize?")
	want(t, b.get(back.location), http.StatusOK, "@bob")
	// A sign-out elsewhere still goes to the sign-in page alone, and a foreign next is ignored.
	out = b.submit("/settings", "/logout", url.Values{"next": {"https://evil.example/"}})
	if out.location != "/login" {
		t.Fatalf("sign-out with a foreign next went to %q", out.location)
	}
}

// TestMastoOAuthAdminScopesDropped: apps that always ask for admin scopes (Fedilab's
// admin login) can still register and sign in; Ruche grants none of them.
func TestMastoOAuthAdminScopesDropped(t *testing.T) {
	_, base := boot(t)
	var app struct{ Scopes []string }
	oaAnon(t, base).ok("POST", "/api/v1/apps", url.Values{"client_name": {"Fedilab"}, "redirect_uris": {"fedilab://backtofedilab"},
		"scopes": {"read write follow push admin:read admin:write"}}).into(t, &app)
	if strings.Join(app.Scopes, " ") != "read write follow push" {
		t.Fatalf("scopes = %v, want the admin ones dropped", app.Scopes)
	}
}
