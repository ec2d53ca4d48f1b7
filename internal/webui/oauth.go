package webui

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// The member's side of OAuth: the consent page an app sends people to, the apps they
// have let in, and the tokens they make for their own scripts. The token endpoints
// themselves are the client API's (internal/mastoapi).

// authParams are the parameters of an authorization request. The consent form carries
// them in hidden fields, and the decision checks them again: nothing the GET accepted is
// trusted on the POST.
type authParams struct {
	ResponseType        string
	ClientID            string
	RedirectURI         string
	Scope               string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

func authParamsFrom(v url.Values) authParams {
	return authParams{
		ResponseType:        v.Get("response_type"),
		ClientID:            v.Get("client_id"),
		RedirectURI:         v.Get("redirect_uri"),
		Scope:               v.Get("scope"),
		State:               v.Get("state"),
		CodeChallenge:       v.Get("code_challenge"),
		CodeChallengeMethod: v.Get("code_challenge_method"),
	}
}

func (p authParams) request() ruche.AuthRequest {
	return ruche.AuthRequest{ClientID: p.ClientID, RedirectURI: p.RedirectURI, Scope: p.Scope,
		CodeChallenge: p.CodeChallenge, CodeChallengeMethod: p.CodeChallengeMethod}
}

// scopeLine is one scope with what it lets the app do, in the member's language.
type scopeLine struct {
	Scope string
	Text  string
}

// scopeKeys describe the broad scopes; granular ones get a generic line naming the part.
var scopeKeys = map[string]string{
	"read":    "settings.scope_read",
	"write":   "settings.scope_write",
	"follow":  "settings.scope_follow",
	"push":    "settings.scope_push",
	"profile": "settings.scope_profile",
}

func describeScopes(p i18n.Printer, sc ruche.Scopes) []scopeLine {
	out := make([]scopeLine, 0, len(sc))
	for _, s := range sc {
		out = append(out, scopeLine{Scope: s, Text: describeScope(p, s)})
	}
	return out
}

func describeScope(p i18n.Printer, s string) string {
	if key, ok := scopeKeys[s]; ok {
		return p.T(key)
	}
	broad, part, _ := strings.Cut(s, ":")
	if broad == "write" {
		return p.T("settings.scope_write_part", part)
	}
	return p.T("settings.scope_read_part", part)
}

type consentData struct {
	App      ruche.App
	Params   authParams
	Redirect string // where the member will be sent back; shown so a lookalike app stands out
	OOB      bool
	Scopes   []scopeLine
	// Again is this request without force_login: where signing in as someone else
	// comes back to. ForceLogin: the app asked the member to choose the account.
	Again      string
	ForceLogin bool
}

// AuthorizeForm is GET /oauth/authorize: the consent page. An unknown client or an
// unregistered redirect URI gets an error page here and is never redirected to (RFC
// 6749 4.1.2.1: that would make this server an open redirector); every other problem
// goes back to the app with its OAuth error code.
func (ui *UI) AuthorizeForm(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	params := authParamsFrom(r.URL.Query())
	app, sc, redirect, ok, err := ui.checkAuthorize(w, r, params)
	if !ok {
		return err
	}
	h := w.Header()
	h.Set("Content-Security-Policy", consentPolicy(h.Get("Content-Security-Policy"), redirect))
	q := r.URL.Query()
	force, _ := strconv.ParseBool(q.Get("force_login"))
	q.Del("force_login")
	ui.render(w, r, http.StatusOK, "oauth_authorize", "oauth.title", consentData{App: app, Params: params, Redirect: redirect,
		OOB: redirect == ruche.OOB, Scopes: describeScopes(ui.printer(r), sc), Again: "/oauth/authorize?" + q.Encode(), ForceLogin: force}, "")
	return nil
}

// Authorize is POST /oauth/authorize: the member's decision on the consent page.
func (ui *UI) Authorize(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	decision := r.PostFormValue("decision") // parses the form
	params := authParamsFrom(r.PostForm)
	_, _, redirect, ok, err := ui.checkAuthorize(w, r, params)
	if !ok {
		return err
	}
	if decision != "approve" {
		ui.sendBack(w, r, redirect, url.Values{"error": {"access_denied"}}, params.State)
		return nil
	}
	code, err := ui.OAuth.Authorize(r.Context(), *viewer(r), params.request())
	var ae *ruche.AuthError
	switch {
	case errors.As(err, &ae):
		ui.sendBack(w, r, redirect, url.Values{"error": {ae.Code}}, params.State)
		return nil
	case err != nil:
		return err
	}
	if redirect == ruche.OOB {
		ui.render(w, r, http.StatusOK, "oauth_code", "oauth.code_title", code, "")
		return nil
	}
	ui.sendBack(w, r, redirect, url.Values{"code": {code}}, params.State)
	return nil
}

// checkAuthorize validates a request for both the form and the decision. When the
// request may not go on, it has already answered (a redirect back with the error) and
// ok is false; err is then the error to show as a page instead, if any.
func (ui *UI) checkAuthorize(w http.ResponseWriter, r *http.Request, params authParams) (app ruche.App, sc ruche.Scopes, redirect string, ok bool, err error) {
	app, sc, err = ui.OAuth.CheckAuthorize(r.Context(), params.request())
	var ae *ruche.AuthError
	if err != nil && !errors.As(err, &ae) {
		return app, nil, "", false, err // unknown client or redirect URI: shown, never followed
	}
	// The redirect URI is now one the app registered (or its only one, when omitted).
	redirect = params.RedirectURI
	if redirect == "" {
		redirect = app.RedirectURIs[0]
	}
	code := ""
	switch {
	case params.ResponseType == "":
		code = "invalid_request"
	case params.ResponseType != "code":
		code = "unsupported_response_type"
	case ae != nil:
		code = ae.Code
	default:
		return app, sc, redirect, true, nil
	}
	// Before the member has acted on the consent page, an error is shown, never sent
	// back: anyone may register an app, and a redirect straight from a link would make
	// this page an open redirector to the app's address (RFC 9700, 4.11.2).
	if r.Method == http.MethodGet {
		return app, nil, redirect, false, ruche.Errorf(ruche.CodeInvalid, "error.oauth_refused", code)
	}
	ui.sendBack(w, r, redirect, url.Values{"error": {code}}, params.State)
	return app, nil, redirect, false, nil
}

// sendBack redirects the browser to the app's redirect URI with the answer (code or
// error) and the app's state added to its own query. An out-of-band app has no address
// to go back to: the member is shown the outcome instead.
func (ui *UI) sendBack(w http.ResponseWriter, r *http.Request, redirect string, answer url.Values, state string) {
	if state != "" {
		answer.Set("state", state)
	}
	if redirect == ruche.OOB {
		if answer.Get("error") == "access_denied" {
			ui.render(w, r, http.StatusOK, "error", "oauth.denied_title", nil, ui.printer(r).T("error.oauth_denied"))
			return
		}
		ui.fail(w, r, ruche.Errorf(ruche.CodeInvalid, "error.oauth_refused", answer.Get("error")))
		return
	}
	u, err := url.Parse(redirect)
	if err != nil { // registered URIs were parsed at registration; this cannot happen
		ui.fail(w, r, err)
		return
	}
	q := u.Query()
	for k, v := range answer {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	// http.Redirect leaves an absolute URI alone, so an app's own scheme (tusky://…)
	// reaches the app.
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// consentPolicy is the consent page's Content-Security-Policy: the site's policy
// (never framed: no clickjacking of the Authorize button), except that form-action also
// allows the app's redirect URI. Browsers apply form-action to the redirect that
// follows a form's submission, so with 'self' alone Chrome would stop the member on
// their way back to the app.
func consentPolicy(sitePolicy, redirect string) string {
	policy := sitePolicy
	if !strings.Contains(policy, "frame-ancestors") {
		policy = strings.TrimPrefix(policy+"; frame-ancestors 'none'", "; ")
	}
	if src := formTarget(redirect); src != "" {
		policy = strings.Replace(policy, "form-action 'self'", "form-action 'self' "+src, 1)
	}
	return policy
}

// formTarget is the CSP source that matches the redirect URI: its origin, or its scheme
// for an app's own (tusky:). Out-of-band has none: the code is shown on our own page.
func formTarget(redirect string) string {
	u, err := url.Parse(redirect)
	if err != nil || redirect == ruche.OOB {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "http" || scheme == "https":
		if cspHost.MatchString(u.Host) {
			return scheme + "://" + u.Host
		}
	case cspScheme.MatchString(scheme):
		return scheme + ":"
	}
	return ""
}

// What may go into a CSP source expression: nothing that could end or add a directive.
var (
	cspHost   = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)
	cspScheme = regexp.MustCompile(`^[a-z][a-z0-9+.\-]*$`)
)

type appsData struct {
	Apps []authorizedApp
}

type authorizedApp struct {
	ruche.AuthorizedApp
	Scopes []scopeLine
}

// Apps is GET /settings/apps: the applications the member let in, to review and revoke.
func (ui *UI) Apps(w http.ResponseWriter, r *http.Request) error {
	apps, err := ui.OAuth.AuthorizedApps(r.Context(), *viewer(r))
	if err != nil {
		return err
	}
	p := ui.printer(r)
	data := appsData{}
	for _, a := range apps {
		data.Apps = append(data.Apps, authorizedApp{AuthorizedApp: a, Scopes: describeScopes(p, a.Scopes)})
	}
	ui.render(w, r, http.StatusOK, "settings_apps", "settings.apps_title", data, "")
	return nil
}

// RevokeApp is POST /settings/apps/{id}/revoke: every token of that app for the member
// stops working at once.
func (ui *UI) RevokeApp(w http.ResponseWriter, r *http.Request) error {
	id, err := appID(r)
	if err != nil {
		return err
	}
	if err := ui.OAuth.RevokeApp(r.Context(), *viewer(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/apps?done=app_revoked", http.StatusSeeOther)
	return nil
}

// broadScopes come first on the Development page; the granular ones are folded away.
var broadScopes = []string{"read", "write", "follow", "push", "profile"}

type developmentData struct {
	Apps     []ownApp
	Broad    []scopeLine
	Granular []scopeLine
	Name     string
	Chosen   map[string]bool
	NewToken string // shown once, right after it was made
	NewApp   string
}

type ownApp struct {
	ruche.App
	Scopes []scopeLine
}

func (ui *UI) developmentPage(w http.ResponseWriter, r *http.Request, status int, data developmentData, errMsg string) error {
	apps, err := ui.OAuth.OwnApps(r.Context(), *viewer(r))
	if err != nil {
		return err
	}
	p := ui.printer(r)
	for _, a := range apps {
		data.Apps = append(data.Apps, ownApp{App: a, Scopes: describeScopes(p, a.Scopes)})
	}
	for _, s := range ruche.SupportedScopes() {
		line := scopeLine{Scope: s, Text: describeScope(p, s)}
		if slices.Contains(broadScopes, s) {
			data.Broad = append(data.Broad, line)
		} else {
			data.Granular = append(data.Granular, line)
		}
	}
	if data.Chosen == nil {
		data.Chosen = map[string]bool{"read": true}
	}
	ui.render(w, r, status, "settings_development", "settings.dev_title", data, errMsg)
	return nil
}

// Development is GET /settings/development: the member's own applications and a form
// to make a token for a script.
func (ui *UI) Development(w http.ResponseWriter, r *http.Request) error {
	return ui.developmentPage(w, r, http.StatusOK, developmentData{}, "")
}

// CreateToken is POST /settings/development: a new application of the member's own with
// an access token, shown on the answer page only (never put in an address, where
// history and logs would keep it).
func (ui *UI) CreateToken(w http.ResponseWriter, r *http.Request) error {
	data := developmentData{Name: r.PostFormValue("name"), Chosen: map[string]bool{}} // parses the form
	chosen := r.PostForm["scopes"]
	for _, s := range chosen {
		data.Chosen[s] = true
	}
	invalid := func(err error) error {
		return ui.developmentPage(w, r, http.StatusUnprocessableEntity, data, ui.message(r, err))
	}
	// An empty list would mean "read" to ParseScopes (Mastodon's default for apps); a
	// person who ticked nothing should be asked, not given a default.
	if len(chosen) == 0 {
		return invalid(ruche.Errorf(ruche.CodeInvalid, "settings.dev_scopes_required"))
	}
	sc, err := ruche.ParseScopes(strings.Join(chosen, " "))
	if err != nil {
		return invalid(err)
	}
	app, tok, err := ui.OAuth.CreatePersonalToken(r.Context(), *viewer(r), data.Name, sc)
	if ruche.ErrorCode(err) == ruche.CodeInvalid {
		return invalid(err)
	}
	if err != nil {
		return err
	}
	return ui.developmentPage(w, r, http.StatusOK, developmentData{NewToken: tok.AccessToken, NewApp: app.Name}, "")
}

// DeleteOwnApp is POST /settings/development/{id}/delete: the application and its
// tokens are gone.
func (ui *UI) DeleteOwnApp(w http.ResponseWriter, r *http.Request) error {
	id, err := appID(r)
	if err != nil {
		return err
	}
	if err := ui.OAuth.RevokeApp(r.Context(), *viewer(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/development?done=app_deleted", http.StatusSeeOther)
	return nil
}

// appID reads the {id} of the address; a malformed one is an unknown page.
func appID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	return id, nil
}

// printer is the request's message printer, for texts built outside templates.
func (ui *UI) printer(r *http.Request) i18n.Printer { return i18n.FromContext(r.Context(), ui.Catalog) }
