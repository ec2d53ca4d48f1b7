package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

const inviteSelect = `SELECT id, coalesce(created_by, 0), role, max_uses, uses, expires_at, revoked_at, created_at FROM invites `

func scanInvite(row pgx.CollectableRow) (ruche.Invite, error) {
	var i ruche.Invite
	err := row.Scan(&i.ID, &i.CreatedBy, &i.Role, &i.MaxUses, &i.Uses, &i.ExpiresAt, &i.RevokedAt, &i.CreatedAt)
	return i, err
}

// CreateInvite stores an invite under the hash of its token.
func (s *Store) CreateInvite(ctx context.Context, actorID int64, hash []byte, inv ruche.Invite) (ruche.Invite, error) {
	var out ruche.Invite
	err := s.tx(ctx, func(tx pgx.Tx) (err error) {
		rows, _ := tx.Query(ctx, `INSERT INTO invites (token_hash, created_by, role, max_uses, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id, coalesce(created_by, 0), role, max_uses, uses, expires_at, revoked_at, created_at`,
			hash, nullID(actorID), inv.Role, inv.MaxUses, inv.ExpiresAt)
		if out, err = pgx.CollectExactlyOneRow(rows, scanInvite); err != nil {
			return interpret(err)
		}
		return audit(ctx, tx, actorID, ruche.AuditInviteCreated, 0,
			map[string]any{"invite": out.ID, "role": out.Role, "max_uses": out.MaxUses, "expires_at": out.ExpiresAt})
	})
	return out, err
}

const liveInvite = `WHERE token_hash = $1 AND revoked_at IS NULL AND uses < max_uses AND expires_at > now()`

// LiveInvite returns the invite behind hash if it can still be used.
func (s *Store) LiveInvite(ctx context.Context, hash []byte) (ruche.Invite, error) {
	rows, _ := s.pool.Query(ctx, inviteSelect+liveInvite, hash)
	inv, err := pgx.CollectExactlyOneRow(rows, scanInvite)
	return inv, interpret(err)
}

// RedeemInvite takes one use of a live invite and creates the user with the invite's
// role. The row lock makes the last use of an invite go to exactly one person.
func (s *Store) RedeemInvite(ctx context.Context, hash []byte, n ruche.NewUser, pwHash string) (ruche.User, error) {
	var u ruche.User
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, inviteSelect+liveInvite+` FOR UPDATE`, hash)
		inv, err := pgx.CollectExactlyOneRow(rows, scanInvite)
		if err != nil {
			return interpret(err)
		}
		n.Role = inv.Role
		if u, err = insertUser(ctx, tx, n, pwHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invites SET uses = uses + 1 WHERE id = $1`, inv.ID); err != nil {
			return err
		}
		if err := audit(ctx, tx, u.ID, ruche.AuditInviteUsed, u.ID, map[string]any{"invite": inv.ID}); err != nil {
			return err
		}
		return audit(ctx, tx, inv.CreatedBy, ruche.AuditUserCreated, u.ID, map[string]any{"role": u.Role, "invite": inv.ID})
	})
	return u, err
}

// Invites lists invites, newest first.
func (s *Store) Invites(ctx context.Context) ([]ruche.Invite, error) {
	rows, _ := s.pool.Query(ctx, inviteSelect+`ORDER BY id DESC LIMIT 200`)
	return pgx.CollectRows(rows, scanInvite)
}

// RevokeInvite stops an invite; revoking twice is not an error.
func (s *Store) RevokeInvite(ctx context.Context, actorID, inviteID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE invites SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, inviteID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM invites WHERE id = $1)`, inviteID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return ruche.ErrNotFound
			}
			return nil
		}
		return audit(ctx, tx, actorID, ruche.AuditInviteRevoked, 0, map[string]any{"invite": inviteID})
	})
}

// AuditLog returns the latest entries, newest first.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]ruche.AuditEntry, error) {
	rows, _ := s.pool.Query(ctx, `SELECT l.id, l.at, coalesce(l.actor_id, 0), coalesce(a.username, ''), l.action,
			coalesce(l.target_id, 0), coalesce(t.username, ''), l.detail
		FROM audit_log l LEFT JOIN accounts a ON a.id = l.actor_id LEFT JOIN accounts t ON t.id = l.target_id
		ORDER BY l.id DESC LIMIT $1`, limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ruche.AuditEntry, error) {
		var e ruche.AuditEntry
		err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorUsername, &e.Action, &e.TargetID, &e.TargetUsername, &e.Detail)
		return e, err
	})
}
