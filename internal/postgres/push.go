package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.PushStore = (*Store)(nil)

const pushSubscriptionColumns = `s.id, s.token_id, s.account_id, s.endpoint, s.p256dh, s.auth, s.alerts, s.policy, s.created_at`

func scanPushSubscription(row pgx.CollectableRow) (ruche.PushSubscription, error) {
	var s ruche.PushSubscription
	err := row.Scan(&s.ID, &s.TokenID, &s.AccountID, &s.Endpoint, &s.P256dh, &s.Auth, &s.Alerts, &s.Policy, &s.CreatedAt)
	return s, err
}

func (s *Store) onePushSubscription(ctx context.Context, q string, args ...any) (ruche.PushSubscription, error) {
	rows, _ := s.pool.Query(ctx, q, args...)
	sub, err := pgx.CollectExactlyOneRow(rows, scanPushSubscription)
	return sub, interpret(err)
}

// PutPushSubscription creates or replaces the subscription of access token p.TokenID,
// if the token is accountID's. A replacement gets a new id, so that jobs queued for the
// old endpoint find nothing to send.
func (s *Store) PutPushSubscription(ctx context.Context, accountID int64, p ruche.PushSubscription) (ruche.PushSubscription, error) {
	return s.onePushSubscription(ctx, `INSERT INTO push_subscriptions AS s (token_id, account_id, endpoint, p256dh, auth, alerts, policy)
		SELECT t.id, t.account_id, $3, $4, $5, $6, $7 FROM oauth_tokens t WHERE t.id = $1 AND t.account_id = $2
		ON CONFLICT (token_id) DO UPDATE SET id = next_id(), endpoint = excluded.endpoint, p256dh = excluded.p256dh,
			auth = excluded.auth, alerts = excluded.alerts, policy = excluded.policy, created_at = now()
		RETURNING `+pushSubscriptionColumns,
		p.TokenID, accountID, p.Endpoint, p.P256dh, p.Auth, p.Alerts, p.Policy)
}

// PushSubscription returns the subscription of accountID's token tokenID.
func (s *Store) PushSubscription(ctx context.Context, accountID, tokenID int64) (ruche.PushSubscription, error) {
	return s.onePushSubscription(ctx, `SELECT `+pushSubscriptionColumns+` FROM push_subscriptions s
		WHERE s.token_id = $1 AND s.account_id = $2`, tokenID, accountID)
}

// UpdatePushAlerts replaces the alerts and policy of accountID's token's subscription.
func (s *Store) UpdatePushAlerts(ctx context.Context, accountID, tokenID int64, a ruche.PushAlerts, p ruche.PushPolicy) (ruche.PushSubscription, error) {
	return s.onePushSubscription(ctx, `UPDATE push_subscriptions s SET alerts = $3, policy = $4
		WHERE s.token_id = $1 AND s.account_id = $2 RETURNING `+pushSubscriptionColumns, tokenID, accountID, a, p)
}

// DeletePushSubscription deletes accountID's token's subscription.
func (s *Store) DeletePushSubscription(ctx context.Context, accountID, tokenID int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE token_id = $1 AND account_id = $2`, tokenID, accountID)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return interpret(err)
}

// ForgetPushSubscription deletes the subscription with that id, if it still exists:
// its push service said it is gone.
func (s *Store) ForgetPushSubscription(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE id = $1`, id)
	return err
}

// VAPIDKey returns the instance's VAPID key, storing candidate if there is none yet.
// The insert waits for a concurrent one and then does nothing; the select, a new
// statement, sees whichever committed first.
func (s *Store) VAPIDKey(ctx context.Context, candidate ruche.VAPIDKey) (ruche.VAPIDKey, error) {
	var k ruche.VAPIDKey
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO vapid_key (private_key, public_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			candidate.Private, candidate.Public); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT private_key, public_key FROM vapid_key`).Scan(&k.Private, &k.Public)
	})
	return k, interpret(err)
}

// PushNotice reads what pushing a notification to a subscription needs. The post, if
// any, is read through the gate for the recipient as they are now.
func (s *Store) PushNotice(ctx context.Context, notificationID, subscriptionID int64) (ruche.PushNotice, error) {
	var pn ruche.PushNotice
	err := s.tx(ctx, func(tx pgx.Tx) error {
		sub, u, n := &pn.Subscription, &pn.Recipient, &pn.Notification
		var g ruche.GroupRef
		err := tx.QueryRow(ctx, `SELECT `+pushSubscriptionColumns+`,
				a.id, a.username, a.display_name, u.role, u.locale, u.suspended_at,
				n.id, n.kind, n.created_at, coalesce(n.post_id, 0), f.id, f.username, coalesce(f.domain, ''), f.display_name,
				coalesce(n.group_id, 0), coalesce(ga.username, ''), coalesce(nullif(ga.display_name, ''), ga.username, ''),
				EXISTS (SELECT 1 FROM follows WHERE follower_id = n.account_id AND followee_id = n.from_id),
				EXISTS (SELECT 1 FROM follows WHERE follower_id = n.from_id AND followee_id = n.account_id)
			FROM notifications n
			JOIN push_subscriptions s ON s.account_id = n.account_id
			JOIN users u ON u.account_id = n.account_id JOIN accounts a ON a.id = n.account_id
			JOIN accounts f ON f.id = n.from_id
			LEFT JOIN accounts ga ON ga.id = n.group_id
			WHERE n.id = $1 AND s.id = $2`, notificationID, subscriptionID).
			Scan(&sub.ID, &sub.TokenID, &sub.AccountID, &sub.Endpoint, &sub.P256dh, &sub.Auth, &sub.Alerts, &sub.Policy, &sub.CreatedAt,
				&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Locale, &u.SuspendedAt,
				&n.ID, &n.Kind, &n.CreatedAt, &pn.PostID, &n.From.ID, &n.From.Username, &n.From.Domain, &n.From.DisplayName,
				&g.ID, &g.Handle, &g.Name, &pn.FollowsSender, &pn.FollowedBySender)
		if err != nil {
			return err
		}
		if g.ID != 0 {
			n.Group = &g
		}
		if pn.PostID == 0 {
			return nil
		}
		var p ruche.Post
		err = tx.QueryRow(ctx, `SELECT p.id, p.html, p.spoiler_text FROM posts p WHERE p.id = $3 AND `+gate("p", 1, 2),
			u.ID, string(u.Role), pn.PostID).Scan(&p.ID, &p.HTML, &p.SpoilerText)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // gone, or no longer for the recipient's eyes
		}
		n.Post = &p
		return err
	})
	return pn, interpret(err)
}

// DrainPushOutbox takes up to limit notifications out of the push outbox and calls
// enqueue, inside the same transaction, with one delivery for each of them and each
// subscription of its recipient (none when the recipient unsubscribed meanwhile). The
// rows leave the outbox only if enqueue succeeds, so a notification is turned into jobs
// exactly once; concurrent drains skip each other's rows. It returns how many
// notifications it took: fewer than limit means the outbox was empty.
func (s *Store) DrainPushOutbox(ctx context.Context, limit int, enqueue func(context.Context, pgx.Tx, []ruche.PushDelivery) error) (int, error) {
	var taken int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `WITH taken AS (
				DELETE FROM push_outbox WHERE notification_id IN (
					SELECT notification_id FROM push_outbox ORDER BY notification_id LIMIT $1 FOR UPDATE SKIP LOCKED)
				RETURNING notification_id)
			SELECT t.notification_id, coalesce(s.id, 0) FROM taken t
			JOIN notifications n ON n.id = t.notification_id
			LEFT JOIN push_subscriptions s ON s.account_id = n.account_id
			ORDER BY t.notification_id, s.id`, limit)
		pairs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ruche.PushDelivery])
		if err != nil {
			return err
		}
		var ds []ruche.PushDelivery
		for i, d := range pairs {
			if i == 0 || d.NotificationID != pairs[i-1].NotificationID {
				taken++
			}
			if d.SubscriptionID != 0 {
				ds = append(ds, d)
			}
		}
		if len(ds) == 0 {
			return nil
		}
		return enqueue(ctx, tx, ds)
	})
	return taken, err
}
