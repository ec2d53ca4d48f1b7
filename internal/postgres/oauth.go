package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.OAuthStore = (*Store)(nil)

const appSelect = `SELECT a.id, a.client_id, a.name, a.website, a.redirect_uris, a.scopes, coalesce(a.owner_id, 0), a.created_at FROM oauth_apps a `

func scanApp(row pgx.CollectableRow) (ruche.App, error) {
	var a ruche.App
	var scopes []string
	err := row.Scan(&a.ID, &a.ClientID, &a.Name, &a.Website, &a.RedirectURIs, &scopes, &a.OwnerID, &a.CreatedAt)
	a.Scopes = scopes
	return a, err
}

// CreateApp stores a registered application.
func (s *Store) CreateApp(ctx context.Context, a ruche.App, secretHash []byte) (ruche.App, error) {
	var owner *int64
	if a.OwnerID != 0 {
		owner = &a.OwnerID
	}
	rows, _ := s.pool.Query(ctx, `INSERT INTO oauth_apps (client_id, client_secret_hash, name, website, redirect_uris, scopes, owner_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING id, client_id, name, website, redirect_uris, scopes, coalesce(owner_id, 0), created_at`,
		a.ClientID, secretHash, a.Name, a.Website, a.RedirectURIs, []string(a.Scopes), owner)
	out, err := pgx.CollectExactlyOneRow(rows, scanApp)
	return out, interpret(err)
}

// AppByClientID returns an application and its secret's hash.
func (s *Store) AppByClientID(ctx context.Context, clientID string) (ruche.App, []byte, error) {
	var a ruche.App
	var scopes []string
	var secret []byte
	err := s.pool.QueryRow(ctx, `SELECT id, client_id, name, website, redirect_uris, scopes, coalesce(owner_id, 0), created_at, client_secret_hash
		FROM oauth_apps WHERE client_id = $1`, clientID).
		Scan(&a.ID, &a.ClientID, &a.Name, &a.Website, &a.RedirectURIs, &scopes, &a.OwnerID, &a.CreatedAt, &secret)
	a.Scopes = scopes
	return a, secret, interpret(err)
}

// CreateCode stores an authorization code.
func (s *Store) CreateCode(ctx context.Context, codeHash []byte, appID, accountID int64, scopes ruche.Scopes, redirectURI, challenge string, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO oauth_codes (code_hash, app_id, account_id, scopes, redirect_uri, code_challenge, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, codeHash, appID, accountID, []string(scopes), redirectURI, challenge, expires)
	return interpret(err)
}

// TakeCode uses a code up: deleting it is what makes it single-use, even when two
// exchanges race. Another app's code is left alone, so it cannot be burnt by others.
func (s *Store) TakeCode(ctx context.Context, codeHash []byte, appID int64) (accountID int64, scopes ruche.Scopes, redirectURI, challenge string, err error) {
	var sc []string
	var live bool
	err = s.pool.QueryRow(ctx, `DELETE FROM oauth_codes c USING users u
		WHERE c.code_hash = $1 AND c.app_id = $2 AND u.account_id = c.account_id
		RETURNING c.account_id, c.scopes, c.redirect_uri, c.code_challenge, c.expires_at > now() AND u.suspended_at IS NULL`, codeHash, appID).
		Scan(&accountID, &sc, &redirectURI, &challenge, &live)
	if err != nil {
		return 0, nil, "", "", interpret(err)
	}
	if !live { // expired, or its member suspended since: used up all the same
		return 0, nil, "", "", ruche.ErrNotFound
	}
	return accountID, sc, redirectURI, challenge, nil
}

// CreateToken stores an access token.
func (s *Store) CreateToken(ctx context.Context, tokenHash []byte, appID, accountID int64, scopes ruche.Scopes) (int64, error) {
	var account *int64
	if accountID != 0 {
		account = &accountID
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO oauth_tokens (token_hash, app_id, account_id, scopes) VALUES ($1, $2, $3, $4) RETURNING id`,
		tokenHash, appID, account, []string(scopes)).Scan(&id)
	return id, interpret(err)
}

// TokenGrant resolves a bearer token in one query: this runs on every API request.
func (s *Store) TokenGrant(ctx context.Context, tokenHash []byte) (ruche.Grant, error) {
	if g, ok := s.hot.token(tokenHash); ok {
		return g, nil
	}
	e, _ := s.hot.usable()
	g, err := s.tokenGrant(ctx, tokenHash)
	if err == nil {
		s.hot.keepToken(e, tokenHash, g)
	}
	return g, err
}

func (s *Store) tokenGrant(ctx context.Context, tokenHash []byte) (ruche.Grant, error) {
	var g ruche.Grant
	var scopes, appScopes []string
	var lastUsed time.Time
	var (
		uid                                *int64
		username, display, email, role, lc *string
		suspended                          *time.Time
		created                            *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT t.id, t.scopes, t.last_used_at,
			a.id, a.client_id, a.name, a.website, a.redirect_uris, a.scopes, coalesce(a.owner_id, 0), a.created_at,
			ac.id, ac.username, ac.display_name, u.email, u.role, u.locale, u.suspended_at, u.created_at
		FROM oauth_tokens t
		JOIN oauth_apps a ON a.id = t.app_id
		LEFT JOIN users u ON u.account_id = t.account_id
		LEFT JOIN accounts ac ON ac.id = u.account_id
		WHERE t.token_hash = $1 AND (t.account_id IS NULL OR u.suspended_at IS NULL)`, tokenHash).
		Scan(&g.TokenID, &scopes, &lastUsed,
			&g.App.ID, &g.App.ClientID, &g.App.Name, &g.App.Website, &g.App.RedirectURIs, &appScopes, &g.App.OwnerID, &g.App.CreatedAt,
			&uid, &username, &display, &email, &role, &lc, &suspended, &created)
	if err != nil {
		return ruche.Grant{}, interpret(err)
	}
	g.Scopes, g.App.Scopes = scopes, appScopes
	if uid != nil {
		g.User = &ruche.User{ID: *uid, Username: *username, DisplayName: *display, Email: *email, Role: ruche.Role(*role), Locale: *lc, CreatedAt: *created}
	}
	if time.Since(lastUsed) > time.Minute {
		if _, err := s.pool.Exec(ctx, notCached+`UPDATE oauth_tokens SET last_used_at = now() WHERE id = $1`, g.TokenID); err != nil {
			return ruche.Grant{}, err
		}
	}
	return g, nil
}

// DeleteToken deletes one token of an application.
func (s *Store) DeleteToken(ctx context.Context, appID int64, tokenHash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM oauth_tokens WHERE app_id = $1 AND token_hash = $2`, appID, tokenHash)
	return err
}

// AuthorizedApps lists the applications holding tokens of an account, newest first.
func (s *Store) AuthorizedApps(ctx context.Context, accountID int64) ([]ruche.AuthorizedApp, error) {
	rows, _ := s.pool.Query(ctx, `SELECT a.id, a.client_id, a.name, a.website, a.redirect_uris, a.scopes, coalesce(a.owner_id, 0), a.created_at,
			(SELECT array_agg(DISTINCT sc ORDER BY sc) FROM oauth_tokens t2, unnest(t2.scopes) sc WHERE t2.app_id = a.id AND t2.account_id = $1),
			min(t.created_at), max(t.last_used_at)
		FROM oauth_tokens t JOIN oauth_apps a ON a.id = t.app_id
		WHERE t.account_id = $1
		GROUP BY a.id ORDER BY max(t.created_at) DESC`, accountID)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ruche.AuthorizedApp, error) {
		var x ruche.AuthorizedApp
		var scopes, granted []string
		err := row.Scan(&x.App.ID, &x.App.ClientID, &x.App.Name, &x.App.Website, &x.App.RedirectURIs, &scopes, &x.App.OwnerID, &x.App.CreatedAt,
			&granted, &x.CreatedAt, &x.LastUsedAt)
		x.App.Scopes, x.Scopes = scopes, granted
		return x, err
	})
}

// RevokeApp ends an application's access to an account.
func (s *Store) RevokeApp(ctx context.Context, accountID, appID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oauth_tokens WHERE account_id = $1 AND app_id = $2`, accountID, appID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM oauth_codes WHERE account_id = $1 AND app_id = $2`, accountID, appID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM oauth_apps WHERE id = $2 AND owner_id = $1`, accountID, appID)
		return err
	})
}

// OwnApps lists the applications a member made.
func (s *Store) OwnApps(ctx context.Context, accountID int64) ([]ruche.App, error) {
	rows, _ := s.pool.Query(ctx, appSelect+`WHERE a.owner_id = $1 ORDER BY a.id DESC`, accountID)
	return pgx.CollectRows(rows, scanApp)
}
