package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// CreateSession stores a new session under the hash of its token.
func (s *Store) CreateSession(ctx context.Context, hash []byte, userID int64, info ruche.SessionInfo, expires time.Time) error {
	ua := info.UserAgent
	if len(ua) > 300 {
		ua = ua[:300]
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, account_id, expires_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5)`,
		hash, userID, expires, ua, info.IP)
	return interpret(err)
}

// SessionUser returns the user of a live session and slides its expiry, at most once a
// minute so that every page view is not a write.
func (s *Store) SessionUser(ctx context.Context, hash []byte, ttl time.Duration) (ruche.User, error) {
	rows, _ := s.pool.Query(ctx, userSelect+`JOIN sessions s ON s.account_id = u.account_id
		WHERE s.token_hash = $1 AND s.expires_at > now() AND u.suspended_at IS NULL`, hash)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if err != nil {
		return ruche.User{}, interpret(err)
	}
	_, err = s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now(), expires_at = now() + $2::interval
		WHERE token_hash = $1 AND last_seen_at < now() - interval '1 minute'`, hash, interval(ttl))
	return u, err
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hash)
	return err
}

// SigninFailures counts failures under key in the current window.
func (s *Store) SigninFailures(ctx context.Context, key string, window time.Duration) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT failures FROM signin_failures
		WHERE key = $1 AND window_start > now() - $2::interval), 0)`, key, interval(window)).Scan(&n)
	return n, err
}

// RecordSigninFailure adds a failure under each key, starting a new window when the
// last one has passed.
func (s *Store) RecordSigninFailure(ctx context.Context, keys []string, window time.Duration) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		for _, k := range keys {
			_, err := tx.Exec(ctx, `INSERT INTO signin_failures (key, window_start, failures) VALUES ($1, now(), 1)
				ON CONFLICT (key) DO UPDATE SET
				  failures = CASE WHEN signin_failures.window_start > now() - $2::interval THEN signin_failures.failures + 1 ELSE 1 END,
				  window_start = CASE WHEN signin_failures.window_start > now() - $2::interval THEN signin_failures.window_start ELSE now() END`,
				k, interval(window))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearSigninFailures forgets the failures under key (after a successful sign-in).
func (s *Store) ClearSigninFailures(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM signin_failures WHERE key = $1`, key)
	return err
}

// PurgeExpired deletes what has expired.
func (s *Store) PurgeExpired(ctx context.Context) (int64, error) {
	var total int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM sessions WHERE expires_at < now()`,
			`DELETE FROM setup_tokens WHERE expires_at < now()`,
			`DELETE FROM signin_failures WHERE window_start < now() - interval '1 day'`,
		} {
			tag, err := tx.Exec(ctx, q)
			if err != nil {
				return err
			}
			total += tag.RowsAffected()
		}
		return nil
	})
	return total, err
}

func interval(d time.Duration) string {
	return fmt.Sprintf("%d milliseconds", d.Milliseconds())
}
