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

// CountSigninAttempt adds an attempt under each key and returns the counts.
func (s *Store) CountSigninAttempt(ctx context.Context, keys []string, window time.Duration) ([]int, error) {
	counts := make([]int, len(keys))
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for i, k := range keys {
			err := tx.QueryRow(ctx, `INSERT INTO signin_failures (key, window_start, failures) VALUES ($1, now(), 1)
				ON CONFLICT (key) DO UPDATE SET
				  failures = CASE WHEN signin_failures.window_start > now() - $2::interval THEN signin_failures.failures + 1 ELSE 1 END,
				  window_start = CASE WHEN signin_failures.window_start > now() - $2::interval THEN signin_failures.window_start ELSE now() END
				RETURNING failures`, k, interval(window)).Scan(&counts[i])
			if err != nil {
				return err
			}
		}
		return nil
	})
	return counts, err
}

// ForgiveSigninAttempt takes back a successful sign-in's attempt.
func (s *Store) ForgiveSigninAttempt(ctx context.Context, addrKey, nameKey string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE signin_failures SET failures = greatest(failures - 1, 0) WHERE key = $1`, addrKey); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE key = $1`, nameKey)
		return err
	})
}

// PurgeExpired deletes what has expired.
func (s *Store) PurgeExpired(ctx context.Context) (int64, error) {
	var total int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM sessions WHERE expires_at < now()`,
			`DELETE FROM setup_tokens WHERE expires_at < now()`,
			`DELETE FROM oauth_codes WHERE expires_at < now()`,
			// Apps registered by clients that never got a token (abandoned sign-ins).
			`DELETE FROM oauth_apps a WHERE owner_id IS NULL AND created_at < now() - interval '1 day'
			   AND NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE t.app_id = a.id)
			   AND NOT EXISTS (SELECT 1 FROM oauth_codes c WHERE c.app_id = a.id)`,
			`DELETE FROM signin_failures WHERE window_start < now() - interval '1 day'`,
			`DELETE FROM idempotency_keys WHERE created_at < now() - interval '1 day'`,
			// Received activities are kept to recognise a redelivery; senders give up
			// within days (Ruche after three), so a month is plenty.
			`DELETE FROM incoming_activities WHERE processed_at < now() - interval '30 days'`,
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
