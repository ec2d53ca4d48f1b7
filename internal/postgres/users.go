package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

const userSelect = `SELECT a.id, a.username, a.display_name, u.email, u.role, u.locale, u.suspended_at, u.created_at, u.password_hash
	FROM users u JOIN accounts a ON a.id = u.account_id `

func scanUser(row pgx.CollectableRow) (ruche.User, error) {
	var u ruche.User
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.Role, &u.Locale, &u.SuspendedAt, &u.CreatedAt, &u.PasswordHash)
	return u, err
}

func queryUser(ctx context.Context, q pgx.Tx, where string, args ...any) (ruche.User, error) {
	rows, _ := q.Query(ctx, userSelect+where, args...)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	return u, interpret(err)
}

func (s *Store) oneUser(ctx context.Context, where string, args ...any) (ruche.User, error) {
	rows, _ := s.pool.Query(ctx, userSelect+where, args...)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	return u, interpret(err)
}

// CountUsers counts local users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// UserByID returns the local user with account id.
func (s *Store) UserByID(ctx context.Context, id int64) (ruche.User, error) {
	return s.oneUser(ctx, `WHERE a.id = $1`, id)
}

// UserByUsername returns the local user with that username, case-insensitively.
func (s *Store) UserByUsername(ctx context.Context, username string) (ruche.User, error) {
	return s.oneUser(ctx, `WHERE lower(a.username) = lower($1) AND a.domain IS NULL`, username)
}

// UserByLogin returns the local user whose username or e-mail is login.
func (s *Store) UserByLogin(ctx context.Context, login string) (ruche.User, error) {
	return s.oneUser(ctx, `WHERE a.domain IS NULL AND (lower(a.username) = lower($1) OR lower(u.email) = lower($1))
		ORDER BY lower(a.username) = lower($1) DESC LIMIT 1`, login)
}

// Users lists local users by username.
func (s *Store) Users(ctx context.Context) ([]ruche.User, error) {
	rows, _ := s.pool.Query(ctx, userSelect+`ORDER BY lower(a.username)`)
	return pgx.CollectRows(rows, scanUser)
}

// insertUser creates the account and user rows inside tx.
func insertUser(ctx context.Context, tx pgx.Tx, n ruche.NewUser, pwHash string) (ruche.User, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO accounts (username, display_name) VALUES ($1, $2) RETURNING id`,
		n.Username, n.DisplayName).Scan(&id)
	if err != nil {
		return ruche.User{}, interpret(err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO users (account_id, email, password_hash, role, locale) VALUES ($1, $2, $3, $4, $5)`,
		id, n.Email, pwHash, n.Role, n.Locale)
	if err != nil {
		return ruche.User{}, interpret(err)
	}
	return queryUser(ctx, tx, `WHERE a.id = $1`, id)
}

// CreateUser creates a user and records it in the audit log.
func (s *Store) CreateUser(ctx context.Context, actorID int64, n ruche.NewUser, pwHash string) (ruche.User, error) {
	var u ruche.User
	err := s.tx(ctx, func(tx pgx.Tx) (err error) {
		if u, err = insertUser(ctx, tx, n, pwHash); err != nil {
			return err
		}
		return audit(ctx, tx, actorID, ruche.AuditUserCreated, u.ID, map[string]any{"role": u.Role})
	})
	return u, err
}

// PutSetupToken replaces the setup link.
func (s *Store) PutSetupToken(ctx context.Context, hash []byte, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (singleton) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at`, hash, expires)
	return err
}

// SetupTokenValid reports whether hash is the live setup link of an instance with no user.
func (s *Store) SetupTokenValid(ctx context.Context, hash []byte) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE token_hash = $1 AND expires_at > now())
		AND NOT EXISTS (SELECT 1 FROM users)`, hash).Scan(&ok)
	return ok, err
}

// CreateOwner creates the first user through the setup link, then deletes the link.
// The row lock on the link makes two simultaneous submissions create one owner.
func (s *Store) CreateOwner(ctx context.Context, hash []byte, n ruche.NewUser, pwHash string) (ruche.User, error) {
	var u ruche.User
	err := s.tx(ctx, func(tx pgx.Tx) (err error) {
		var ok bool
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE token_hash = $1 AND expires_at > now() FOR UPDATE)`, hash).Scan(&ok)
		if err != nil {
			return err
		}
		var users int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
			return err
		}
		if !ok || users > 0 {
			return ruche.ErrNotFound
		}
		n.Role = ruche.RoleAdmin
		if u, err = insertUser(ctx, tx, n, pwHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM setup_tokens`); err != nil {
			return err
		}
		return audit(ctx, tx, u.ID, ruche.AuditOwnerCreated, u.ID, nil)
	})
	return u, err
}

// SetPassword replaces a user's password hash and ends their other sessions.
func (s *Store) SetPassword(ctx context.Context, actorID, userID int64, pwHash string, keep []byte) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE account_id = $1`, userID, pwHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ruche.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE account_id = $1 AND token_hash IS DISTINCT FROM $2`, userID, keep); err != nil {
			return err
		}
		// A reset (nothing kept) locks out whoever knew the old password, apps included;
		// members changing their own password keep their phones signed in, as in Mastodon.
		if keep == nil {
			if _, err := tx.Exec(ctx, `DELETE FROM oauth_tokens WHERE account_id = $1`, userID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, actorID, ruche.AuditPasswordSet, userID, nil)
	})
}

// ensureAdminLeft fails the transaction if no unsuspended admin would remain.
func ensureAdminLeft(ctx context.Context, tx pgx.Tx) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND suspended_at IS NULL`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ruche.Errorf(ruche.CodeInvalid, "error.last_admin")
	}
	return nil
}

// lockAdmins serializes role and suspension changes so two admins demoting each other at
// once cannot leave the instance with none.
func lockAdmins(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE role = 'admin' FOR UPDATE`)
	return err
}

// SetRole changes a user's role.
func (s *Store) SetRole(ctx context.Context, actorID, userID int64, role ruche.Role) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockAdmins(ctx, tx); err != nil {
			return err
		}
		var old ruche.Role
		err := tx.QueryRow(ctx, `UPDATE users n SET role = $2 FROM users o
			WHERE n.account_id = $1 AND o.account_id = n.account_id RETURNING o.role`, userID, role).Scan(&old)
		if err != nil {
			return interpret(err)
		}
		if old == role {
			return nil
		}
		if err := ensureAdminLeft(ctx, tx); err != nil {
			return err
		}
		return audit(ctx, tx, actorID, ruche.AuditRoleChanged, userID, map[string]any{"from": old, "to": role})
	})
}

// SetSuspended suspends (ending every session at once) or reinstates a user.
func (s *Store) SetSuspended(ctx context.Context, actorID, userID int64, suspended bool) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockAdmins(ctx, tx); err != nil {
			return err
		}
		var tag interface{ RowsAffected() int64 }
		var err error
		if suspended {
			tag, err = tx.Exec(ctx, `UPDATE users SET suspended_at = now() WHERE account_id = $1 AND suspended_at IS NULL`, userID)
		} else {
			tag, err = tx.Exec(ctx, `UPDATE users SET suspended_at = NULL WHERE account_id = $1 AND suspended_at IS NOT NULL`, userID)
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// Already in that state, or no such user.
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE account_id = $1)`, userID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return ruche.ErrNotFound
			}
			return nil
		}
		action := ruche.AuditUserUnsuspended
		if suspended {
			action = ruche.AuditUserSuspended
			// Every way in ends with the suspension: sessions, app tokens, pending codes.
			for _, q := range []string{`DELETE FROM sessions WHERE account_id = $1`,
				`DELETE FROM oauth_tokens WHERE account_id = $1`, `DELETE FROM oauth_codes WHERE account_id = $1`} {
				if _, err := tx.Exec(ctx, q, userID); err != nil {
					return err
				}
			}
			if err := ensureAdminLeft(ctx, tx); err != nil {
				return err
			}
		}
		return audit(ctx, tx, actorID, action, userID, nil)
	})
}

// SetLocale records the user's interface language.
func (s *Store) SetLocale(ctx context.Context, userID int64, locale string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET locale = $2 WHERE account_id = $1`, userID, locale)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return err
}
