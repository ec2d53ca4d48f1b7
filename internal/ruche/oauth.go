package ruche

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// OOB is the redirect URI of clients without one (command-line tools): the code is
// shown on a page for the member to copy.
const OOB = "urn:ietf:wg:oauth:2.0:oob"

// How long an authorization code lives: long enough to copy an out-of-band code.
const codeTTL = 10 * time.Minute

// App is a registered OAuth client application.
type App struct {
	ID           int64
	ClientID     string
	Name         string
	Website      string
	RedirectURIs []string
	Scopes       Scopes
	OwnerID      int64 // a member's own application (Development page); 0 otherwise
	CreatedAt    time.Time
}

// AppFields is what a client registers.
type AppFields struct {
	Name         string
	Website      string
	RedirectURIs []string
	Scopes       Scopes
}

// Grant is what an access token carries: who (nil for an application's own token),
// through which application, with which scopes.
type Grant struct {
	TokenID int64
	App     App
	User    *User
	Scopes  Scopes
}

// AuthRequest is an authorization request (GET /oauth/authorize).
type AuthRequest struct {
	ClientID            string
	RedirectURI         string
	Scope               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// AuthorizedApp is an application a member let in, for review in the web UI.
type AuthorizedApp struct {
	App        App
	Scopes     Scopes
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// OAuthStore is what OAuth needs from persistence. Secrets are given as hashes.
type OAuthStore interface {
	CreateApp(ctx context.Context, a App, secretHash []byte) (App, error)
	// AppByClientID returns the app and its secret's hash.
	AppByClientID(ctx context.Context, clientID string) (App, []byte, error)
	CreateCode(ctx context.Context, codeHash []byte, appID, accountID int64, scopes Scopes, redirectURI, challenge string, expires time.Time) error
	// TakeCode deletes a live code of app appID and returns what it was issued for;
	// ErrNotFound if unknown, another app's, expired or already used.
	TakeCode(ctx context.Context, codeHash []byte, appID int64) (accountID int64, scopes Scopes, redirectURI, challenge string, err error)
	// CreateToken stores a token; accountID 0 is the application's own token.
	CreateToken(ctx context.Context, tokenHash []byte, appID, accountID int64, scopes Scopes) (int64, error)
	// TokenGrant returns a token's grant; ErrNotFound for unknown tokens and tokens of
	// suspended members. It notes the token's use at most once a minute.
	TokenGrant(ctx context.Context, tokenHash []byte) (Grant, error)
	// DeleteToken deletes a token of that app; no error if there is none.
	DeleteToken(ctx context.Context, appID int64, tokenHash []byte) error
	AuthorizedApps(ctx context.Context, accountID int64) ([]AuthorizedApp, error)
	// RevokeApp deletes every token and code the app holds for the account, and the
	// app itself when the account owns it.
	RevokeApp(ctx context.Context, accountID, appID int64) error
	OwnApps(ctx context.Context, accountID int64) ([]App, error)
	// CountAttempt counts an event under key in a sliding window (sign-in limits' table).
	CountSigninAttempt(ctx context.Context, keys []string, window time.Duration) ([]int, error)
}

// OAuth is the use-case layer for OAuth 2 (RFC 6749, PKCE RFC 7636, revocation RFC 7009).
type OAuth struct {
	Store OAuthStore
	Now   func() time.Time
}

func (o *OAuth) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Apps registered anonymously from one address per hour: a whole office behind one
// NAT signs in from one address (apps register anew at each sign-in), yet a single
// client cannot fill the table.
const appsPerAddressHour = 300

// An IPv6 client may hold a /48 (65,536 /64s), so its network counts too; and all
// anonymous registrations together are capped, so the table cannot be flooded.
const (
	appsPerNetworkHour = 1000
	appsPerHour        = 5000
)

// networkKey is the client's /48 for IPv6 (its address for IPv4).
func networkKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return addressKey(ip)
	}
	p, _ := a.Prefix(48)
	return p.String()
}

// RegisterApp registers a client (POST /api/v1/apps) and returns it with its secret,
// shown this once. owner is set for a member's own application.
func (o *OAuth) RegisterApp(ctx context.Context, f AppFields, owner *User, clientIP string) (App, string, error) {
	if owner == nil {
		keys := []string{"app:" + addressKey(clientIP), "app:" + networkKey(clientIP), "app:all"}
		counts, err := o.Store.CountSigninAttempt(ctx, keys, time.Hour)
		if err != nil {
			return App{}, "", err
		}
		if counts[0] > appsPerAddressHour || counts[1] > appsPerNetworkHour || counts[2] > appsPerHour {
			return App{}, "", Errorf(CodeRateLimited, "error.rate_limited")
		}
	}
	f.Name = strings.TrimSpace(f.Name)
	if f.Name == "" || utf8.RuneCountInString(f.Name) > 200 {
		return App{}, "", Errorf(CodeInvalid, "error.oauth_app_name")
	}
	if f.Website != "" {
		if u, err := url.Parse(f.Website); err != nil || (u.Scheme != "https" && u.Scheme != "http") || len(f.Website) > 2000 {
			return App{}, "", Errorf(CodeInvalid, "error.oauth_website")
		}
	}
	if len(f.RedirectURIs) == 0 || len(f.RedirectURIs) > 5 {
		return App{}, "", Errorf(CodeInvalid, "error.oauth_redirect_uri")
	}
	for _, r := range f.RedirectURIs {
		if !validRedirect(r) {
			return App{}, "", Errorf(CodeInvalid, "error.oauth_redirect_uri")
		}
	}
	if len(f.Scopes) == 0 {
		f.Scopes = Scopes{"read"}
	}
	clientID, _ := NewToken()
	secret, secretHash := NewToken()
	a := App{ClientID: clientID, Name: f.Name, Website: f.Website, RedirectURIs: f.RedirectURIs, Scopes: f.Scopes}
	if owner != nil {
		a.OwnerID = owner.ID
	}
	a, err := o.Store.CreateApp(ctx, a, secretHash)
	return a, secret, err
}

// validRedirect accepts absolute URIs an app can receive a code on: https, http (for
// loopback and development), an app's own scheme (tusky://…), or out-of-band. Schemes
// that run code in a browser are refused, and fragments are not allowed (RFC 6749 3.1.2).
func validRedirect(r string) bool {
	if r == OOB {
		return true
	}
	u, err := url.Parse(r)
	if err != nil || u.Scheme == "" || u.Fragment != "" || len(r) > 500 || strings.ContainsAny(r, " \t\r\n") {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return false
	case "https":
		return u.Host != ""
	case "http": // a code over plain http only to the app's own machine
		h := u.Hostname()
		if h == "localhost" {
			return true
		}
		a, err := netip.ParseAddr(h)
		return err == nil && a.IsLoopback()
	}
	return true
}

// App returns a registered application by client id.
func (o *OAuth) App(ctx context.Context, clientID string) (App, error) {
	if clientID == "" {
		return App{}, Errorf(CodeNotFound, "error.oauth_client")
	}
	a, _, err := o.Store.AppByClientID(ctx, clientID)
	if err != nil {
		return App{}, notFoundAs(err, "error.oauth_client")
	}
	return a, nil
}

// CheckAuthorize validates an authorization request: the app and redirect URI first
// (errors there are shown, never redirected, RFC 6749 4.1.2.1), then the scopes and
// PKCE (errors redirected to the app by the caller, as AuthError).
func (o *OAuth) CheckAuthorize(ctx context.Context, req AuthRequest) (App, Scopes, error) {
	a, err := o.App(ctx, req.ClientID)
	if err != nil {
		return App{}, nil, err
	}
	if req.RedirectURI == "" && len(a.RedirectURIs) == 1 {
		req.RedirectURI = a.RedirectURIs[0]
	}
	if !slices.Contains(a.RedirectURIs, req.RedirectURI) {
		return App{}, nil, Errorf(CodeInvalid, "error.oauth_redirect_mismatch")
	}
	sc, err := ParseScopes(req.Scope)
	if err != nil || !sc.Within(a.Scopes) {
		return a, nil, &AuthError{Code: "invalid_scope"}
	}
	if req.CodeChallenge != "" || req.CodeChallengeMethod != "" {
		if req.CodeChallengeMethod != "S256" || len(req.CodeChallenge) < 43 || len(req.CodeChallenge) > 128 {
			return a, nil, &AuthError{Code: "invalid_request"}
		}
	}
	return a, sc, nil
}

// AuthError is an OAuth error sent back to the client with its RFC 6749 code.
type AuthError struct{ Code string }

func (e *AuthError) Error() string { return "oauth: " + e.Code }

// Authorize records the member's consent and returns the authorization code.
func (o *OAuth) Authorize(ctx context.Context, u User, req AuthRequest) (string, error) {
	a, sc, err := o.CheckAuthorize(ctx, req)
	if err != nil {
		return "", err
	}
	if req.RedirectURI == "" {
		req.RedirectURI = a.RedirectURIs[0]
	}
	code, hash := NewToken()
	err = o.Store.CreateCode(ctx, hash, a.ID, u.ID, sc, req.RedirectURI, req.CodeChallenge, o.now().Add(codeTTL))
	return code, err
}

// TokenRequest is a POST /oauth/token.
type TokenRequest struct {
	GrantType    string
	ClientID     string
	ClientSecret string
	Code         string
	RedirectURI  string
	CodeVerifier string
	Scope        string
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	Scopes      Scopes
	CreatedAt   time.Time
}

// Exchange issues a token for an authorization code or for the client itself.
// Failures are *AuthError with RFC 6749's codes (invalid_client, invalid_grant, …).
func (o *OAuth) Exchange(ctx context.Context, req TokenRequest) (Token, error) {
	a, secretHash, err := o.Store.AppByClientID(ctx, req.ClientID)
	if err != nil {
		return Token{}, &AuthError{Code: "invalid_client"}
	}
	secretOK := req.ClientSecret != "" && subtle.ConstantTimeCompare(HashToken(req.ClientSecret), secretHash) == 1
	if req.ClientSecret != "" && !secretOK {
		return Token{}, &AuthError{Code: "invalid_client"}
	}
	switch req.GrantType {
	case "authorization_code":
		accountID, sc, redirect, challenge, err := o.Store.TakeCode(ctx, HashToken(req.Code), a.ID)
		if err != nil {
			return Token{}, &AuthError{Code: "invalid_grant"}
		}
		// The code goes only to the address it was issued for (RFC 6749, 4.1.3).
		if req.RedirectURI != redirect {
			return Token{}, &AuthError{Code: "invalid_grant"}
		}
		// A public client (no secret) must prove with PKCE that it asked for the code.
		if challenge != "" {
			if !pkceMatches(req.CodeVerifier, challenge) {
				return Token{}, &AuthError{Code: "invalid_grant"}
			}
		} else if !secretOK {
			return Token{}, &AuthError{Code: "invalid_client"}
		}
		return o.issue(ctx, a.ID, accountID, sc)
	case "client_credentials":
		if !secretOK {
			return Token{}, &AuthError{Code: "invalid_client"}
		}
		sc, err := ParseScopes(req.Scope)
		if err != nil || !sc.Within(a.Scopes) {
			return Token{}, &AuthError{Code: "invalid_scope"}
		}
		return o.issue(ctx, a.ID, 0, sc)
	}
	return Token{}, &AuthError{Code: "unsupported_grant_type"}
}

func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

func (o *OAuth) issue(ctx context.Context, appID, accountID int64, sc Scopes) (Token, error) {
	token, hash := NewToken()
	if _, err := o.Store.CreateToken(ctx, hash, appID, accountID, sc); err != nil {
		return Token{}, err
	}
	return Token{AccessToken: token, Scopes: sc, CreatedAt: o.now()}, nil
}

// Revoke deletes a token the client holds (RFC 7009): an unknown token is no error,
// but the client must authenticate.
func (o *OAuth) Revoke(ctx context.Context, clientID, clientSecret, token string) error {
	a, secretHash, err := o.Store.AppByClientID(ctx, clientID)
	if err != nil || subtle.ConstantTimeCompare(HashToken(clientSecret), secretHash) != 1 {
		return &AuthError{Code: "invalid_client"}
	}
	return o.Store.DeleteToken(ctx, a.ID, HashToken(token))
}

// Authenticate returns the grant of a bearer token; ErrNotFound when it is unknown,
// revoked, or its member suspended.
func (o *OAuth) Authenticate(ctx context.Context, token string) (Grant, error) {
	if token == "" || len(token) > 200 {
		return Grant{}, ErrNotFound
	}
	return o.Store.TokenGrant(ctx, HashToken(token))
}

// AuthorizedApps lists the applications u has let in.
func (o *OAuth) AuthorizedApps(ctx context.Context, u User) ([]AuthorizedApp, error) {
	return o.Store.AuthorizedApps(ctx, u.ID)
}

// RevokeApp ends every token of an application for u (and deletes u's own app).
func (o *OAuth) RevokeApp(ctx context.Context, u User, appID int64) error {
	return o.Store.RevokeApp(ctx, u.ID, appID)
}

// OwnApps lists the applications u made for their own scripts.
func (o *OAuth) OwnApps(ctx context.Context, u User) ([]App, error) {
	return o.Store.OwnApps(ctx, u.ID)
}

// CreatePersonalToken makes an application of u's own with the given scopes and an
// access token for it (the web UI's Development page, and `ruche token create`).
func (o *OAuth) CreatePersonalToken(ctx context.Context, u User, name string, sc Scopes) (App, Token, error) {
	if len(sc) == 0 {
		return App{}, Token{}, Errorf(CodeInvalid, "error.oauth_scope_empty")
	}
	a, _, err := o.RegisterApp(ctx, AppFields{Name: name, RedirectURIs: []string{OOB}, Scopes: sc}, &u, "")
	if err != nil {
		return App{}, Token{}, err
	}
	t, err := o.issue(ctx, a.ID, u.ID, sc)
	return a, t, err
}
