package mastoapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/clientaddr"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Application is Mastodon's Application; CredentialApplication adds the client's
// credentials, shown once at registration.
type Application struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Website      *string  `json:"website"`
	Scopes       []string `json:"scopes"`
	RedirectURI  string   `json:"redirect_uri"`
	RedirectURIs []string `json:"redirect_uris"`
	VapidKey     string   `json:"vapid_key"`
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
}

func (a *API) application(app ruche.App) Application {
	out := Application{ID: idString(app.ID), Name: app.Name, Scopes: app.Scopes,
		RedirectURI: strings.Join(app.RedirectURIs, "\n"), RedirectURIs: app.RedirectURIs}
	if app.Website != "" {
		out.Website = &app.Website
	}
	return out
}

// createApp is POST /api/v1/apps: any client registers before anyone signs in.
func (a *API) createApp(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	var uris []string
	for _, s := range append(p.List("redirect_uris"), strings.Fields(p.String("redirect_uri"))...) {
		uris = append(uris, strings.Fields(s)...)
	}
	sc, err := ruche.ParseScopes(p.String("scopes"))
	if err != nil {
		return nil, err
	}
	app, secret, err := a.OAuth.RegisterApp(r.Context(), ruche.AppFields{Name: p.String("client_name"), Website: p.String("website"),
		RedirectURIs: uris, Scopes: sc}, nil, clientaddr.From(r.Context()).IP)
	if err != nil {
		return nil, err
	}
	out := a.application(app)
	out.ClientID, out.ClientSecret = app.ClientID, secret
	if out.VapidKey, err = a.vapidKey(r); err != nil {
		return nil, err
	}
	return out, nil
}

// verifyApp is GET /api/v1/apps/verify_credentials: the app behind the token.
func (a *API) verifyApp(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	g, ok := authn.GrantFrom(r.Context())
	if !ok {
		return nil, ruche.Errorf(ruche.CodeUnauthenticated, "error.api_unauthorized")
	}
	out := a.application(g.App)
	out.Scopes = g.Scopes
	var err error
	if out.VapidKey, err = a.vapidKey(r); err != nil {
		return nil, err
	}
	return out, nil
}

// oauthError writes RFC 6749's error body.
func oauthError(w http.ResponseWriter, code string, status int) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": oauthDescriptions[code]})
}

var oauthDescriptions = map[string]string{
	"invalid_client":         "Client authentication failed.",
	"invalid_grant":          "The authorization code is invalid, expired, already used, or was issued to another client.",
	"invalid_scope":          "The requested scope is invalid, unknown, or exceeds what the application registered.",
	"invalid_request":        "The request is missing a parameter or has a malformed one.",
	"unsupported_grant_type": "This grant type is not supported: use authorization_code or client_credentials.",
}

// token is POST /oauth/token.
func (a *API) token(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		oauthError(w, "invalid_request", http.StatusBadRequest)
		return
	}
	req := ruche.TokenRequest{GrantType: p.String("grant_type"), ClientID: p.String("client_id"), ClientSecret: p.String("client_secret"),
		Code: p.String("code"), RedirectURI: p.String("redirect_uri"), CodeVerifier: p.String("code_verifier"), Scope: p.String("scope")}
	// Clients may authenticate with HTTP Basic instead (RFC 6749 2.3.1).
	if id, secret, ok := r.BasicAuth(); ok && req.ClientID == "" {
		req.ClientID, req.ClientSecret = id, secret
	}
	t, err := a.OAuth.Exchange(r.Context(), req)
	var ae *ruche.AuthError
	switch {
	case errors.As(err, &ae):
		status := http.StatusBadRequest
		if ae.Code == "invalid_client" {
			status = http.StatusUnauthorized
		}
		oauthError(w, ae.Code, status)
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	a.write(w, r, map[string]any{"access_token": t.AccessToken, "token_type": "Bearer", "scope": t.Scopes.String(),
		"created_at": t.CreatedAt.Unix()}, nil)
}

// revoke is POST /oauth/revoke (RFC 7009): 200 whether or not the token existed.
func (a *API) revoke(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		oauthError(w, "invalid_request", http.StatusBadRequest)
		return
	}
	clientID, secret := p.String("client_id"), p.String("client_secret")
	if id, s, ok := r.BasicAuth(); ok && clientID == "" {
		clientID, secret = id, s
	}
	if err := a.OAuth.Revoke(r.Context(), clientID, secret, p.String("token")); err != nil {
		var ae *ruche.AuthError
		if errors.As(err, &ae) {
			oauthError(w, ae.Code, http.StatusUnauthorized)
			return
		}
		a.fail(w, r, err)
		return
	}
	a.write(w, r, struct{}{}, nil)
}

// authServerMetadata is RFC 8414's document, as Mastodon serves it.
func (a *API) authServerMetadata(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	return map[string]any{
		"issuer":                                a.BaseURL + "/",
		"authorization_endpoint":                a.BaseURL + "/oauth/authorize",
		"token_endpoint":                        a.BaseURL + "/oauth/token",
		"revocation_endpoint":                   a.BaseURL + "/oauth/revoke",
		"app_registration_endpoint":             a.BaseURL + "/api/v1/apps",
		"scopes_supported":                      ruche.SupportedScopes(),
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"service_documentation":                 "https://docs.joinmastodon.org/",
		"userinfo_endpoint":                     a.BaseURL + "/oauth/userinfo",
	}, nil
}

// userinfo is /oauth/userinfo: who the token's member is, in OpenID Connect's words
// (Mastodon 4.4's "Sign in with Mastodon").
func (a *API) userinfo(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	profile := a.BaseURL + "/@" + u.Username
	return map[string]any{"iss": a.BaseURL + "/", "sub": profile, "name": u.Name(), "preferred_username": u.Username,
		"profile": profile, "picture": a.avatarURL()}, nil
}
