package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// oaApp is a registered client as the tests see it.
type oaApp struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Name         string `json:"name"`
}

// oaAnon is an app with no token yet (registering, exchanging codes).
func oaAnon(t *testing.T, base string) *mclient {
	return &mclient{t: t, base: base, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// oaToken is an app holding token.
func oaToken(t *testing.T, base, token string) *mclient {
	c := oaAnon(t, base)
	c.token = token
	return c
}

// oaRegister registers an app through the API (body a form or JSON).
func oaRegister(t *testing.T, base string, body any) oaApp {
	t.Helper()
	var app oaApp
	oaAnon(t, base).ok("POST", "/api/v1/apps", body).into(t, &app)
	if app.ClientID == "" || app.ClientSecret == "" {
		t.Fatalf("registration gave no credentials: %+v", app)
	}
	return app
}

// oaPKCE returns a verifier and its S256 challenge (RFC 7636).
func oaPKCE() (verifier, challenge string) {
	verifier = rand.Text() + rand.Text() // 52 characters of base32
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// oaAuthorizeURL is the address an app sends the member's browser to.
func oaAuthorizeURL(clientID, redirect, scope, state, challenge string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "scope": {scope},
		"state": {state}, "force_login": {"false"}, "lang": {"fr"}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	return "/oauth/authorize?" + q.Encode()
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// oaDecide posts the consent form found on page (its hidden fields, as a browser
// would) with the member's decision.
func oaDecide(t *testing.T, b *browser, consent page, decision string) page {
	t.Helper()
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(consent.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("csrf_token") == "" || form.Get("client_id") == "" {
		t.Fatalf("no consent form on the page (%d):\n%s", consent.status, consent.body)
	}
	form.Set("decision", decision)
	return b.do("POST", "/oauth/authorize", form)
}

// oaAnswer reads the query the browser was sent back to the app with.
func oaAnswer(t *testing.T, p page, prefix string) url.Values {
	t.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, prefix) {
		t.Fatalf("got %d to %q, want a redirect to %s\n%s", p.status, p.location, prefix, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// oaCode runs the consent page for a signed-in member and returns the code.
func oaCode(t *testing.T, b *browser, authURL, redirect string) string {
	t.Helper()
	consent := b.get(authURL)
	want(t, consent, http.StatusOK, "")
	q := oaAnswer(t, oaDecide(t, b, consent, "approve"), redirect)
	if q.Get("code") == "" {
		t.Fatalf("no code in %v", q)
	}
	return q.Get("code")
}

// oaReply is an answer of the token endpoint.
type oaReply struct {
	status int
	body   map[string]any
}

// oaExchange posts to /oauth/token.
func oaExchange(t *testing.T, base string, form url.Values) oaReply {
	t.Helper()
	r := oaAnon(t, base).do("POST", "/oauth/token", form)
	out := oaReply{status: r.status}
	r.into(t, &out.body)
	return out
}

// oaTokenFrom returns the access token of a successful answer.
func oaTokenFrom(t *testing.T, r oaReply) string {
	t.Helper()
	tok, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || tok == "" || r.body["token_type"] != "Bearer" {
		t.Fatalf("token answer %d: %v", r.status, r.body)
	}
	return tok
}

func oaWantGrantError(t *testing.T, r oaReply, code string) {
	t.Helper()
	if r.status != http.StatusBadRequest || r.body["error"] != code {
		t.Fatalf("got %d %v, want 400 %s", r.status, r.body, code)
	}
}

// oaUser creates a member through the console, as an operator does, and returns a
// browser that is not signed in yet.
func oaUser(t *testing.T, m *Main, base, username string) *browser {
	t.Helper()
	if _, err := run(t, oaEnv(m), "a long password\n", "user", "create", "--username", username, "--email", username+"@example.com",
		"--display-name", strings.ToUpper(username[:1])+username[1:], "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	return newBrowser(t, base)
}

func oaEnv(m *Main) map[string]string {
	return map[string]string{"RUCHE_DEV": "true", "DATABASE_URL": m.Config.DatabaseURL}
}

// TestMastoOAuthCodeFlow is what Tusky, Elk or Ivory do, by hand: register, send the
// member to sign in and consent, exchange the code with PKCE, use the token, give it back.
func TestMastoOAuthCodeFlow(t *testing.T) {
	m, base := boot(t)
	b := oaUser(t, m, base, "alice")

	const redirect = "https://app.example/callback?keep=1"
	app := oaRegister(t, base, map[string]any{"client_name": "<script>alert(1)</script>", "redirect_uris": redirect,
		"scopes": "read write follow", "website": "https://app.example"})
	verifier, challenge := oaPKCE()
	authURL := oaAuthorizeURL(app.ClientID, redirect, "read write", "st&ate=1", challenge)

	// Anonymous: sign in first, then back to the very same request.
	p := b.get(authURL)
	wantRedirect(t, p, "/login?next=")
	login, _ := url.Parse(p.location)
	if got := login.Query().Get("next"); got != authURL {
		t.Fatalf("next = %q, want %q", got, authURL)
	}
	p = b.submit(p.location, "/login", url.Values{"login": {"alice"}, "password": {"a long password"}, "next": {login.Query().Get("next")}})
	if p.status != http.StatusSeeOther || p.location != authURL {
		t.Fatalf("after sign-in: %d to %q, want %s", p.status, p.location, authURL)
	}

	// The consent page: the app's name escaped, the scopes explained, no framing, no cache.
	consent := b.get(p.location)
	want(t, consent, http.StatusOK, "<script>alert(1)</script>")
	if strings.Contains(consent.body, "<script>alert(1)") || !strings.Contains(consent.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("the app's name is not escaped:\n%s", consent.body)
	}
	checkPage(t, "consent page", consent.body)
	for _, s := range []string{"Alice", "https://app.example", "Read everything you can see", "Post, edit and delete"} {
		if !strings.Contains(html.UnescapeString(consent.body), s) {
			t.Errorf("consent page lacks %q", s)
		}
	}
	if strings.Contains(consent.body, "whom you follow") {
		t.Error("the consent page lists follow, which the app did not ask for")
	}
	if cc := consent.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	csp := consent.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "form-action 'self' https://app.example;") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}

	// Consent: back to the app with the code and the state, its own query kept.
	q := oaAnswer(t, oaDecide(t, b, consent, "approve"), "https://app.example/callback?")
	if q.Get("state") != "st&ate=1" || q.Get("keep") != "1" || q.Get("code") == "" {
		t.Fatalf("answer = %v", q)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID}, "code": {q.Get("code")},
		"redirect_uri": {redirect}, "code_verifier": {verifier}}
	token := oaTokenFrom(t, oaExchange(t, base, exchange))
	c := oaToken(t, base, token)
	var me struct{ Username string }
	c.get("/api/v1/accounts/verify_credentials", &me)
	if me.Username != "alice" {
		t.Errorf("verify_credentials: %q", me.Username)
	}
	var seen struct{ Name string }
	c.get("/api/v1/apps/verify_credentials", &seen)
	if seen.Name != app.Name {
		t.Errorf("apps/verify_credentials name = %q", seen.Name)
	}

	t.Run("code used twice", func(t *testing.T) {
		oaWantGrantError(t, oaExchange(t, base, exchange), "invalid_grant")
	})
	t.Run("wrong verifier", func(t *testing.T) {
		form := cloneForm(exchange)
		form.Set("code", oaCode(t, b, authURL, "https://app.example/callback?"))
		other, _ := oaPKCE()
		form.Set("code_verifier", other)
		oaWantGrantError(t, oaExchange(t, base, form), "invalid_grant")
		// The code is spent: the right verifier now fails too.
		form.Set("code_verifier", verifier)
		oaWantGrantError(t, oaExchange(t, base, form), "invalid_grant")
	})
	t.Run("no verifier and no secret", func(t *testing.T) {
		form := cloneForm(exchange)
		form.Set("code", oaCode(t, b, authURL, "https://app.example/callback?"))
		form.Del("code_verifier")
		oaWantGrantError(t, oaExchange(t, base, form), "invalid_grant")
	})
	t.Run("wrong redirect_uri", func(t *testing.T) {
		form := cloneForm(exchange)
		form.Set("code", oaCode(t, b, authURL, "https://app.example/callback?"))
		form.Set("redirect_uri", "https://app.example/other")
		oaWantGrantError(t, oaExchange(t, base, form), "invalid_grant")
	})
	t.Run("no redirect_uri", func(t *testing.T) {
		form := cloneForm(exchange)
		form.Set("code", oaCode(t, b, authURL, "https://app.example/callback?"))
		form.Del("redirect_uri")
		oaWantGrantError(t, oaExchange(t, base, form), "invalid_grant")
	})
	t.Run("another client's code", func(t *testing.T) {
		other := oaRegister(t, base, url.Values{"client_name": {"Other"}, "redirect_uris": {redirect}})
		form := cloneForm(exchange)
		code := oaCode(t, b, authURL, "https://app.example/callback?")
		form.Set("code", code)
		form.Set("client_id", other.ClientID)
		oaWantGrantError(t, oaExchange(t, base, form), "invalid_grant")
		// Trying it under another client does not burn it for its own.
		form = cloneForm(exchange)
		form.Set("code", code)
		oaTokenFrom(t, oaExchange(t, base, form))
	})

	t.Run("client credentials", func(t *testing.T) {
		c := oaToken(t, base, oaTokenFrom(t, oaExchange(t, base, url.Values{"grant_type": {"client_credentials"},
			"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"read"}})))
		c.ok("GET", "/api/v1/apps/verify_credentials", nil)
		c.want(http.StatusUnprocessableEntity, "GET", "/api/v1/accounts/verify_credentials", nil)
		// Without the secret there is no app token.
		r := oaExchange(t, base, url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "scope": {"read"}})
		if r.status != http.StatusUnauthorized || r.body["error"] != "invalid_client" {
			t.Errorf("client_credentials without secret: %d %v", r.status, r.body)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		// Plain HTTP: Mastodon's description has no schema for revoke's empty object.
		resp, err := http.PostForm(base+"/oauth/revoke", url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
			"token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		r := c.want(http.StatusUnauthorized, "GET", "/api/v1/accounts/verify_credentials", nil)
		var body struct{ Error string }
		r.into(t, &body)
		if body.Error == "" {
			t.Errorf("401 without Mastodon's error body: %s", r.body)
		}
	})

	t.Run("app scheme and out of band", func(t *testing.T) {
		native := oaRegister(t, base, url.Values{"client_name": {"Tusky"}, "redirect_uris": {"tusky://oauth\n" + ruche.OOB},
			"scopes": {"read write follow push"}})
		// An app's own scheme: the browser hands the code to the app.
		consent := b.get(oaAuthorizeURL(native.ClientID, "tusky://oauth", "read push", "s1", ""))
		want(t, consent, http.StatusOK, "Send you push notifications")
		if csp := consent.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' tusky:;") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		q := oaAnswer(t, oaDecide(t, b, consent, "approve"), "tusky://oauth?")
		tok := oaTokenFrom(t, oaExchange(t, base, url.Values{"grant_type": {"authorization_code"}, "client_id": {native.ClientID},
			"client_secret": {native.ClientSecret}, "code": {q.Get("code")}, "redirect_uri": {"tusky://oauth"}}))
		oaToken(t, base, tok).ok("GET", "/api/v1/accounts/verify_credentials", nil)

		// Out of band: the code is shown to copy, and nobody is redirected.
		consent = b.get(oaAuthorizeURL(native.ClientID, ruche.OOB, "read", "", ""))
		want(t, consent, http.StatusOK, "")
		p := oaDecide(t, b, consent, "approve")
		want(t, p, http.StatusOK, "Copy this code")
		if p.location != "" {
			t.Fatalf("out of band redirected to %q", p.location)
		}
		m := regexp.MustCompile(`class="copy" readonly value="([^"]+)"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no code on the page:\n%s", p.body)
		}
		tok = oaTokenFrom(t, oaExchange(t, base, url.Values{"grant_type": {"authorization_code"}, "client_id": {native.ClientID},
			"client_secret": {native.ClientSecret}, "code": {m[1]}, "redirect_uri": {ruche.OOB}}))
		oaToken(t, base, tok).ok("GET", "/api/v1/accounts/verify_credentials", nil)
	})
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestMastoOAuthRefusals: a request that cannot be trusted is never redirected; one
// that can gets its OAuth error back at the app.
func TestMastoOAuthRefusals(t *testing.T) {
	m, base := boot(t)
	b := signedIn(t, m, base, "bob", "member")
	const redirect = "https://app.example/cb"
	app := oaRegister(t, base, url.Values{"client_name": {"Reader"}, "redirect_uris": {redirect}, "scopes": {"read"}})
	_, challenge := oaPKCE()

	noRedirect := []struct {
		name, url string
		status    int
	}{
		{"unregistered redirect_uri", oaAuthorizeURL(app.ClientID, "https://evil.example/cb", "read", "s", challenge), http.StatusUnprocessableEntity},
		{"unknown client", oaAuthorizeURL("nope", redirect, "read", "s", challenge), http.StatusNotFound},
		{"no client", "/oauth/authorize?response_type=code&redirect_uri=" + url.QueryEscape(redirect), http.StatusNotFound},
	}
	for _, tt := range noRedirect {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get(tt.url)
			if p.status != tt.status || p.location != "" || p.header.Get("Location") != "" {
				t.Fatalf("got %d to %q, want an error page %d without redirect", p.status, p.location, tt.status)
			}
		})
	}

	back := []struct {
		name, url, code string
	}{
		{"scope beyond the app's", oaAuthorizeURL(app.ClientID, redirect, "read write", "s", challenge), "invalid_scope"},
		{"unknown scope", oaAuthorizeURL(app.ClientID, redirect, "read admin:everything", "s", challenge), "invalid_scope"},
		{"implicit grant", strings.Replace(oaAuthorizeURL(app.ClientID, redirect, "read", "s", challenge), "response_type=code", "response_type=token", 1),
			"unsupported_response_type"},
		{"no response_type", strings.Replace(oaAuthorizeURL(app.ClientID, redirect, "read", "s", challenge), "response_type=code&", "", 1),
			"invalid_request"},
		{"plain PKCE", strings.Replace(oaAuthorizeURL(app.ClientID, redirect, "read", "s", challenge), "S256", "plain", 1), "invalid_request"},
	}
	// Before the member acts, errors are shown and never sent back: a link straight to
	// a redirect would make the consent page an open redirector to any registered app.
	for _, tt := range back {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get(tt.url)
			if p.status != http.StatusUnprocessableEntity || p.location != "" || !strings.Contains(p.body, tt.code) {
				t.Fatalf("got %d to %q, want an error page naming %s", p.status, p.location, tt.code)
			}
		})
	}

	t.Run("deny", func(t *testing.T) {
		consent := b.get(oaAuthorizeURL(app.ClientID, redirect, "read", "s2", challenge))
		q := oaAnswer(t, oaDecide(t, b, consent, "deny"), redirect+"?")
		if q.Get("error") != "access_denied" || q.Get("state") != "s2" || q.Get("code") != "" {
			t.Fatalf("answer = %v", q)
		}
	})

	t.Run("the decision is checked again", func(t *testing.T) {
		consent := b.get(oaAuthorizeURL(app.ClientID, redirect, "read", "s3", challenge))
		consent.body = strings.Replace(consent.body, `name="scope" value="read"`, `name="scope" value="read write"`, 1)
		q := oaAnswer(t, oaDecide(t, b, consent, "approve"), redirect+"?")
		if q.Get("error") != "invalid_scope" || q.Get("code") != "" {
			t.Fatalf("answer = %v", q)
		}
		consent = b.get(oaAuthorizeURL(app.ClientID, redirect, "read", "s3", challenge))
		consent.body = strings.Replace(consent.body, `value="`+redirect+`"`, `value="https://evil.example/cb"`, 1)
		p := oaDecide(t, b, consent, "approve")
		if p.location != "" || p.status != http.StatusUnprocessableEntity {
			t.Fatalf("tampered redirect_uri: %d to %q", p.status, p.location)
		}
	})

	t.Run("consent needs the CSRF token", func(t *testing.T) {
		p := b.do("POST", "/oauth/authorize", url.Values{"response_type": {"code"}, "client_id": {app.ClientID},
			"redirect_uri": {redirect}, "scope": {"read"}, "decision": {"approve"}})
		if p.status != http.StatusForbidden || p.location != "" {
			t.Fatalf("got %d to %q, want 403", p.status, p.location)
		}
	})

	t.Run("out of band denial", func(t *testing.T) {
		oob := oaRegister(t, base, url.Values{"client_name": {"toot"}, "redirect_uris": {ruche.OOB}})
		consent := b.get(oaAuthorizeURL(oob.ClientID, ruche.OOB, "read", "", ""))
		p := oaDecide(t, b, consent, "deny")
		want(t, p, http.StatusOK, "did not let the application in")
		if p.location != "" {
			t.Fatalf("redirected to %q", p.location)
		}
		// An out-of-band app's errors are shown too: there is nowhere to send them.
		p = b.get(oaAuthorizeURL(oob.ClientID, ruche.OOB, "write", "", ""))
		want(t, p, http.StatusUnprocessableEntity, "invalid_scope")
		if p.location != "" {
			t.Fatalf("redirected to %q", p.location)
		}
	})
}

var (
	revokeRE    = regexp.MustCompile(`action="(/settings/apps/\d+/revoke)"`)
	deleteAppRE = regexp.MustCompile(`action="(/settings/development/\d+/delete)"`)
	newTokenRE  = regexp.MustCompile(`class="copy" readonly value="([^"]+)"`)
)

// TestMastoOAuthSettings: a member reviews the apps they let in and revokes one, and
// makes and deletes tokens of their own.
func TestMastoOAuthSettings(t *testing.T) {
	m, base := boot(t)
	b := signedIn(t, m, base, "carol", "member")
	dan := signedIn(t, m, base, "dan", "member")

	want(t, b.get("/settings"), http.StatusOK, "Authorized apps")
	p := b.get("/settings/apps")
	want(t, p, http.StatusOK, "No application can use your account.")

	const redirect = "https://elk.example/cb"
	app := oaRegister(t, base, url.Values{"client_name": {"Elk <b>beta</b>"}, "redirect_uris": {redirect}, "scopes": {"read write"},
		"website": {"https://elk.example"}})
	codeURL := oaAuthorizeURL(app.ClientID, redirect, "read", "", "")
	tok := oaTokenFrom(t, oaExchange(t, base, url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "code": {oaCode(t, b, codeURL, redirect)}, "redirect_uri": {redirect}}))
	c := oaToken(t, base, tok)
	c.ok("GET", "/api/v1/accounts/verify_credentials", nil)

	p = b.get("/settings/apps")
	want(t, p, http.StatusOK, "Elk <b>beta</b>")
	if strings.Contains(p.body, "<b>beta") {
		t.Error("the app's name is not escaped")
	}
	checkPage(t, "authorized apps", p.body)
	for _, s := range []string{"https://elk.example", "Read everything you can see", "Last used"} {
		if !strings.Contains(p.body, s) {
			t.Errorf("authorized apps page lacks %q", s)
		}
	}
	m1 := revokeRE.FindStringSubmatch(p.body)
	if m1 == nil {
		t.Fatalf("no revoke button:\n%s", p.body)
	}
	// Another member's revoke of the same app touches only their own grants.
	wantRedirect(t, dan.submit("/settings/apps", m1[1], url.Values{}), "/settings/apps?done=app_revoked")
	c.ok("GET", "/api/v1/accounts/verify_credentials", nil)
	wantRedirect(t, b.submit("/settings/apps", m1[1], url.Values{}), "/settings/apps?done=app_revoked")
	c.want(http.StatusUnauthorized, "GET", "/api/v1/accounts/verify_credentials", nil)
	want(t, b.get("/settings/apps?done=app_revoked"), http.StatusOK, "The application's access was revoked.")
	want(t, b.get("/settings/apps/x/revoke"), http.StatusNotFound, "") // GET: no such page
	want(t, b.submit("/settings/apps", "/settings/apps/abc/revoke", url.Values{}), http.StatusNotFound, "")

	// Development: a token with exactly the scopes chosen, shown once.
	p = b.get("/settings/development")
	want(t, p, http.StatusOK, "read:statuses")
	checkPage(t, "development", p.body)
	p = b.submit("/settings/development", "/settings/development", url.Values{"name": {"<i>digest</i> bot"},
		"scopes": {"read:statuses", "write:statuses"}})
	want(t, p, http.StatusOK, "it will not be shown again")
	checkPage(t, "development with token", p.body)
	mt := newTokenRE.FindStringSubmatch(p.body)
	if mt == nil {
		t.Fatalf("no token on the page:\n%s", p.body)
	}
	script := oaToken(t, base, mt[1])
	var st struct{ ID string }
	script.ok("POST", "/api/v1/statuses", map[string]any{"status": "from my script", "visibility": "public"}).into(t, &st)
	script.ok("GET", "/api/v1/statuses/"+st.ID, nil)
	script.want(http.StatusForbidden, "GET", "/api/v1/accounts/verify_credentials", nil)
	p = b.get("/settings/development")
	if strings.Contains(p.body, mt[1]) {
		t.Fatal("the token is shown again")
	}
	want(t, p, http.StatusOK, "<i>digest</i> bot")

	// Bad forms are told, and keep what was typed.
	p = b.submit("/settings/development", "/settings/development", url.Values{"name": {"nothing"}})
	want(t, p, http.StatusUnprocessableEntity, "Choose at least one permission.")
	p = b.submit("/settings/development", "/settings/development", url.Values{"name": {"bad"}, "scopes": {"read", "admin:everything"}})
	want(t, p, http.StatusUnprocessableEntity, "admin:everything")
	p = b.submit("/settings/development", "/settings/development", url.Values{"name": {" "}, "scopes": {"read"}})
	want(t, p, http.StatusUnprocessableEntity, "needs a name")

	// Deleting the app ends its token; another member cannot delete it.
	md := deleteAppRE.FindStringSubmatch(b.get("/settings/development").body)
	if md == nil {
		t.Fatal("no delete button")
	}
	wantRedirect(t, dan.submit("/settings/development", md[1], url.Values{}), "/settings/development?done=app_deleted")
	script.ok("GET", "/api/v1/statuses/"+st.ID, nil)
	wantRedirect(t, b.submit("/settings/development", md[1], url.Values{}), "/settings/development?done=app_deleted")
	script.want(http.StatusUnauthorized, "GET", "/api/v1/statuses/"+st.ID, nil)
	p = b.get("/settings/development?done=app_deleted")
	want(t, p, http.StatusOK, "You have made no application.")

	// French.
	b.lang = "fr"
	want(t, b.get("/settings/development"), http.StatusOK, "Nouveau jeton d'accès")
}

// TestMastoOAuthSuspension: suspending a member ends their tokens at once.
func TestMastoOAuthSuspension(t *testing.T) {
	m, base := boot(t)
	member(t, m, base, "root", ruche.RoleAdmin) // the hive keeps an active administrator
	c := member(t, m, base, "sam", ruche.RoleMember, "read")
	c.ok("GET", "/api/v1/accounts/verify_credentials", nil)
	if _, err := run(t, oaEnv(m), "", "user", "suspend", "--username", "sam"); err != nil {
		t.Fatal(err)
	}
	// The operator's command is another process: until the node hears of it, the
	// token's member is already refused (404), never served.
	c.wantSoon(http.StatusUnauthorized, []int{http.StatusNotFound}, "GET", "/api/v1/accounts/verify_credentials", nil)
	// The suspension ended the token for good: reinstating the member does not bring
	// back what an app held.
	if _, err := run(t, oaEnv(m), "", "user", "unsuspend", "--username", "sam"); err != nil {
		t.Fatal(err)
	}
	c.want(http.StatusUnauthorized, "GET", "/api/v1/accounts/verify_credentials", nil)
}

// TestMastoTokenCommand: an operator makes a token for a member's script.
func TestMastoTokenCommand(t *testing.T) {
	m, base := boot(t)
	oaUser(t, m, base, "robot")
	out, err := run(t, oaEnv(m), "", "token", "create", "--username", "Robot", "--scopes", "read write", "--name", "nightly import")
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSuffix(out, "\n")
	if tok == "" || strings.ContainsAny(tok, " \n") {
		t.Fatalf("stdout = %q, want the token alone", out)
	}
	c := oaToken(t, base, tok)
	var me struct{ Username string }
	c.get("/api/v1/accounts/verify_credentials", &me)
	if me.Username != "robot" {
		t.Errorf("token acts as %q", me.Username)
	}
	c.ok("POST", "/api/v1/statuses", map[string]any{"status": "beep"})

	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"unknown member", []string{"--username", "nobody", "--scopes", "read"}, "no member @nobody"},
		{"unknown scope", []string{"--username", "robot", "--scopes", "read bogus"}, "bogus"},
		{"empty scopes", []string{"--username", "robot", "--scopes", " "}, "--scopes"},
		{"no username", []string{"--scopes", "read"}, "--username"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, oaEnv(m), "", append([]string{"token", "create"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || out != "" {
				t.Fatalf("out %q, err %v; want an error naming %q and nothing on stdout", out, err, tt.want)
			}
		})
	}
	if _, err := run(t, oaEnv(m), "", "token", "list"); err == nil {
		t.Error("token list: no error")
	}
	if out, _ := run(t, nil, "", "--help"); !strings.Contains(out, "token create") {
		t.Error("--help does not mention token create")
	}
}

// TestMastoOAuthDiscovery: browser apps find the endpoints and may call them from
// their own origin.
func TestMastoOAuthDiscovery(t *testing.T) {
	_, base := boot(t)
	var meta struct {
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		RevocationEndpoint    string   `json:"revocation_endpoint"`
		RegistrationEndpoint  string   `json:"app_registration_endpoint"`
		Methods               []string `json:"code_challenge_methods_supported"`
		Scopes                []string `json:"scopes_supported"`
	}
	// Plain HTTP: Mastodon's description requires a userinfo_endpoint, which Ruche has not.
	resp, err := http.Get(base + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("metadata: %d %v", resp.StatusCode, err)
	}
	for _, e := range []struct{ got, path string }{{meta.AuthorizationEndpoint, "/oauth/authorize"}, {meta.TokenEndpoint, "/oauth/token"},
		{meta.RevocationEndpoint, "/oauth/revoke"}, {meta.RegistrationEndpoint, "/api/v1/apps"}} {
		if !strings.HasPrefix(e.got, "http") || !strings.HasSuffix(e.got, e.path) {
			t.Errorf("endpoint %q, want the absolute address of %s", e.got, e.path)
		}
	}
	if len(meta.Methods) != 1 || meta.Methods[0] != "S256" {
		t.Errorf("code_challenge_methods_supported = %v", meta.Methods)
	}
	if !strings.Contains(strings.Join(meta.Scopes, " "), "read:statuses") {
		t.Errorf("scopes_supported = %v", meta.Scopes)
	}
	for _, path := range []string{"/api/v1/apps", "/oauth/token", "/oauth/revoke"} {
		req, _ := http.NewRequest("OPTIONS", base+path, nil)
		req.Header.Set("Origin", "https://elk.zone")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); resp.StatusCode >= 300 || got != "*" {
			t.Errorf("preflight %s: %d, Access-Control-Allow-Origin %q", path, resp.StatusCode, got)
		}
		if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("preflight %s allows credentials: %q", path, got)
		}
	}
	// The consent page is a page of this site: no other origin may read it.
	req, _ := http.NewRequest("GET", base+"/oauth/authorize", nil)
	req.Header.Set("Origin", "https://elk.zone")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("/oauth/authorize has Access-Control-Allow-Origin %q", got)
	}
}
