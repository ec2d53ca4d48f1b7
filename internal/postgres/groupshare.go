package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.ShareStore = (*Store)(nil)

// ShareGroup opens the group to an active partner, with an audit entry when it was not
// shared with it yet. It holds the group's lock (as UpdateGroup does before making a
// group secret), so that a group cannot end up both secret and shared.
func (s *Store) ShareGroup(ctx context.Context, actorID, groupID int64, domain string) error {
	return interpret(s.tx(ctx, func(tx pgx.Tx) error {
		var kind ruche.GroupKind
		if err := tx.QueryRow(ctx, `SELECT kind FROM groups WHERE account_id = $1 FOR UPDATE`, groupID).Scan(&kind); err != nil {
			return err
		}
		if kind == ruche.GroupSecret {
			return ruche.Errorf(ruche.CodeInvalid, "error.group_secret_not_shareable")
		}
		// FOR SHARE: the partner cannot be suspended or removed before this commits.
		var state ruche.PartnerState
		if err := tx.QueryRow(ctx, `SELECT state FROM partners WHERE domain = $1 FOR SHARE`, domain).Scan(&state); err != nil {
			return err
		}
		if state != ruche.PartnerActive {
			return ruche.ErrNotFound
		}
		tag, err := tx.Exec(ctx, `INSERT INTO group_shares (group_id, domain, shared_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			groupID, domain, nullID(actorID))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return audit(ctx, tx, actorID, "group.share", groupID, map[string]any{"domain": domain})
	}))
}

// UnshareGroup closes the group to domain, with an audit entry; ruche.ErrNotFound when
// it was not shared with it.
func (s *Store) UnshareGroup(ctx context.Context, actorID, groupID int64, domain string) error {
	return interpret(s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM group_shares WHERE group_id = $1 AND domain = $2`, groupID, domain)
		if err != nil || tag.RowsAffected() == 0 {
			return firstErr(err, ruche.ErrNotFound)
		}
		// The partner's people leave with the share: nothing of the group reaches them.
		if _, err := tx.Exec(ctx, `DELETE FROM group_members m USING accounts a
			WHERE m.group_id = $1 AND a.id = m.account_id AND a.domain = $2`, groupID, domain); err != nil {
			return err
		}
		return audit(ctx, tx, actorID, "group.unshare", groupID, map[string]any{"domain": domain})
	}))
}

// GroupShares lists the partner domains the group is shared with, sorted.
func (s *Store) GroupShares(ctx context.Context, groupID int64) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT domain FROM group_shares WHERE group_id = $1 ORDER BY domain`, groupID)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ShareCandidates lists the active partners the group is not shared with, sorted.
func (s *Store) ShareCandidates(ctx context.Context, groupID int64) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT p.domain FROM partners p WHERE p.state = 'active'
		AND NOT EXISTS (SELECT 1 FROM group_shares s WHERE s.group_id = $1 AND s.domain = p.domain)
		ORDER BY p.domain`, groupID)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// federatedWhere narrows groupSelect, read as no viewer ($1 = 0, so no viewer facts), to
// local groups that are shared with the partner $3 and not secret. Whether the partner
// is active is the caller's concern (requests from suspended ones never get here).
const federatedWhere = ` AND a.domain IS NULL AND g.kind <> 'secret'
	AND EXISTS (SELECT 1 FROM group_shares s WHERE s.group_id = g.account_id AND s.domain = $3)`

// FederatedGroup returns the group with that id if it is shared with domain and not
// secret; ruche.ErrNotFound otherwise, whatever the reason.
func (s *Store) FederatedGroup(ctx context.Context, groupID int64, domain string) (ruche.Group, error) {
	rows, _ := s.pool.Query(ctx, groupSelect+`WHERE g.account_id = $2`+federatedWhere, int64(0), groupID, domain)
	g, err := pgx.CollectExactlyOneRow(rows, scanGroup)
	return g, interpret(err)
}

// GroupShared is FederatedGroup's test alone: nil if the group is shared with domain
// and not secret, ruche.ErrNotFound otherwise.
func (s *Store) GroupShared(ctx context.Context, groupID int64, domain string) error {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM groups g JOIN accounts a ON a.id = g.account_id
		JOIN group_shares s ON s.group_id = g.account_id AND s.domain = $2
		WHERE g.account_id = $1 AND a.domain IS NULL AND g.kind <> 'secret')`, groupID, domain).Scan(&ok)
	if err == nil && !ok {
		return ruche.ErrNotFound
	}
	return err
}

// FederatedGroupByHandle is FederatedGroup by handle, for WebFinger.
func (s *Store) FederatedGroupByHandle(ctx context.Context, handle, domain string) (ruche.Group, error) {
	rows, _ := s.pool.Query(ctx, groupSelect+`WHERE lower(a.username) = lower($2)`+federatedWhere, int64(0), handle, domain)
	g, err := pgx.CollectExactlyOneRow(rows, scanGroup)
	return g, interpret(err)
}

// refuseShared fails the transaction if the group is shared: it is about to become
// secret. The caller holds the group's lock.
func refuseShared(ctx context.Context, tx pgx.Tx, groupID int64) error {
	var shared bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM group_shares WHERE group_id = $1)`, groupID).Scan(&shared); err != nil {
		return err
	}
	if shared {
		return ruche.Errorf(ruche.CodeInvalid, "error.group_shared_not_secret")
	}
	return nil
}
