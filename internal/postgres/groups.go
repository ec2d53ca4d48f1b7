package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.GroupStore = (*Store)(nil)

// CreateGroup creates the group's account (its handle shares the username space) and
// makes ownerID its owner.
func (s *Store) CreateGroup(ctx context.Context, ownerID int64, handle string, f ruche.GroupFields) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO accounts (username, display_name, kind) VALUES ($1, $2, 'group') RETURNING id`,
			handle, f.Name).Scan(&id); err != nil {
			return interpret(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO groups (account_id, description, kind, created_by) VALUES ($1, $2, $3, $4)`,
			id, f.Description, f.Kind, ownerID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, account_id, state, role) VALUES ($1, $2, 'member', 'owner')`, id, ownerID)
		return err
	})
	return id, err
}

// groupSelect reads groups as viewer $1 sees them. Every read carries the partner
// instances the group is shared with: wherever members see a group, they see who else
// reads it.
const groupSelect = `SELECT a.id, a.username, a.display_name, g.description, g.kind, a.created_at,
	(SELECT count(*) FROM group_members c WHERE c.group_id = g.account_id AND c.state = 'member'),
	coalesce(m.role, ''), coalesce(m.state, ''), coalesce(m.notify, false),
	ARRAY(SELECT s.domain FROM group_shares s WHERE s.group_id = g.account_id ORDER BY s.domain), coalesce(a.domain, ''),
	coalesce(a.avatar_media_id, 0), coalesce(a.header_media_id, 0)
FROM groups g JOIN accounts a ON a.id = g.account_id
LEFT JOIN group_members m ON m.group_id = g.account_id AND m.account_id = $1 `

func scanGroup(row pgx.CollectableRow) (ruche.Group, error) {
	var g ruche.Group
	var members int64
	err := row.Scan(&g.ID, &g.Handle, &g.Name, &g.Description, &g.Kind, &g.CreatedAt, &members, &g.ViewerRole, &g.ViewerState, &g.ViewerNotify,
		&g.SharedWith, &g.Domain, &g.Avatar, &g.Header)
	g.Members = int(members)
	if g.ViewerState != ruche.StateMember {
		g.ViewerRole = ""
	}
	return g, err
}

// Group returns the group with handle ("design", or "design@partner.example" for a
// partner's group), with the viewer's standing in it.
func (s *Store) Group(ctx context.Context, v ruche.Viewer, handle string) (ruche.Group, error) {
	name, domain, ok := ruche.SplitHandle(handle)
	if !ok {
		return ruche.Group{}, ruche.ErrNotFound
	}
	rows, _ := s.pool.Query(ctx, groupSelect+`WHERE lower(a.username) = $2 AND coalesce(a.domain, '') = $3`, v.ID, name, domain)
	g, err := pgx.CollectExactlyOneRow(rows, scanGroup)
	return g, interpret(err)
}

// Groups lists non-secret groups and every group the viewer has a standing in.
func (s *Store) Groups(ctx context.Context, v ruche.Viewer) ([]ruche.Group, error) {
	rows, _ := s.pool.Query(ctx, groupSelect+`WHERE g.kind <> 'secret' OR m.state IS NOT NULL OR $2::boolean
		ORDER BY lower(a.display_name), a.id`, v.ID, v.Role == ruche.RoleAdmin)
	return pgx.CollectRows(rows, scanGroup)
}

// UpdateGroup changes the group's fields. A shared group cannot become secret: the
// check and the change hold the group's lock, which ShareGroup takes too, so that a
// share made meanwhile is seen.
func (s *Store) UpdateGroup(ctx context.Context, groupID int64, f ruche.GroupFields) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if f.Kind == ruche.GroupSecret {
			if err := lockGroup(ctx, tx, groupID); err != nil {
				return err
			}
			if err := refuseShared(ctx, tx, groupID); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE groups SET description = $2, kind = $3 WHERE account_id = $1`, groupID, f.Description, f.Kind)
		if err != nil || tag.RowsAffected() == 0 {
			return firstErr(err, ruche.ErrNotFound)
		}
		_, err = tx.Exec(ctx, `UPDATE accounts SET display_name = $2 WHERE id = $1`, groupID, f.Name)
		return err
	})
}

func firstErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// SetMembership puts accountID in state with role. A group_request notification goes
// to the group's owners and moderators; other kinds go to accountID.
func (s *Store) SetMembership(ctx context.Context, groupID, accountID int64, state ruche.MembershipState, role ruche.GroupRole,
	notify ruche.NotificationKind, from int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		// It may insert notifications, which page by id under the stream horizon.
		if _, err := tx.Exec(ctx, writeTimeout); err != nil {
			return err
		}
		if err := lockGroup(ctx, tx, groupID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, account_id, state, role) VALUES ($1, $2, $3, $4)
			ON CONFLICT (group_id, account_id) DO UPDATE SET state = excluded.state, role = excluded.role`,
			groupID, accountID, state, role); err != nil {
			return interpret(err)
		}
		if !role.Moderates() {
			// No longer a moderator: the requests they were shown are not theirs to see.
			if _, err := tx.Exec(ctx, `DELETE FROM notifications WHERE account_id = $2 AND group_id = $1 AND kind = 'group_request'`,
				groupID, accountID); err != nil {
				return err
			}
		}
		if err := keepsAnOwner(ctx, tx, groupID); err != nil {
			return err
		}
		switch notify {
		case "":
			return nil
		case ruche.NotifyGroupRequest:
			rows, _ := tx.Query(ctx, `SELECT account_id FROM group_members WHERE group_id = $1 AND state = 'member'
				AND role IN ('owner', 'moderator')`, groupID)
			mods, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			for _, m := range mods {
				if err := notifyGroup(ctx, tx, m, notify, from, groupID); err != nil {
					return err
				}
			}
			return nil
		}
		return notifyGroup(ctx, tx, accountID, notify, from, groupID)
	})
}

// notifyGroup records a notification about a group.
func notifyGroup(ctx context.Context, tx pgx.Tx, to int64, kind ruche.NotificationKind, from, groupID int64) error {
	if to == from {
		return nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO notifications (account_id, kind, from_id, group_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, to, kind, from, groupID)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2::bigint::text)`, channelNotifications, to)
	return err
}

// RemoveMembership ends accountID's standing in the group; from now on they may see
// none of its posts.
func (s *Store) RemoveMembership(ctx context.Context, groupID, accountID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockGroup(ctx, tx, groupID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = $1 AND account_id = $2`, groupID, accountID); err != nil {
			return err
		}
		// Notifications of the group's posts and of the group itself (invitations,
		// requests they moderated) go too: nothing of it stays in view.
		if _, err := tx.Exec(ctx, `DELETE FROM notifications WHERE account_id = $2
			AND (group_id = $1 OR post_id IN (SELECT id FROM posts WHERE group_id = $1))`, groupID, accountID); err != nil {
			return err
		}
		return keepsAnOwner(ctx, tx, groupID)
	})
}

// Members lists memberships in state, owners and moderators first.
func (s *Store) Members(ctx context.Context, groupID int64, state ruche.MembershipState) ([]ruche.GroupMembership, error) {
	// People of partner instances (shared groups) come with their domain, after the
	// local ones of the same name.
	rows, _ := s.pool.Query(ctx, `SELECT `+authorColumns("a")+`, m.role, m.state, m.created_at
		FROM group_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.group_id = $1 AND m.state = $2
		ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, lower(a.username), lower(a.domain) NULLS FIRST`,
		groupID, state)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ruche.GroupMembership, error) {
		var m ruche.GroupMembership
		err := row.Scan(append(authorDest(&m.Author), &m.Role, &m.State, &m.Since)...)
		return m, err
	})
}

// Membership returns accountID's standing (zero when none).
func (s *Store) Membership(ctx context.Context, groupID, accountID int64) (ruche.GroupMembership, error) {
	var m ruche.GroupMembership
	err := s.pool.QueryRow(ctx, `SELECT role, state, created_at FROM group_members WHERE group_id = $1 AND account_id = $2`,
		groupID, accountID).Scan(&m.Role, &m.State, &m.Since)
	if err == pgx.ErrNoRows {
		return ruche.GroupMembership{}, nil
	}
	return m, err
}

// CountOwners counts the group's owners.
func (s *Store) CountOwners(ctx context.Context, groupID int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM group_members WHERE group_id = $1 AND state = 'member' AND role = 'owner'`,
		groupID).Scan(&n)
	return n, err
}

// SetGroupNotify turns a member's notifications of new posts in the group on or off.
func (s *Store) SetGroupNotify(ctx context.Context, groupID, accountID int64, on bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE group_members SET notify = $3 WHERE group_id = $1 AND account_id = $2 AND state = 'member'`,
		groupID, accountID, on)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return err
}

// SetPinned pins or unpins a post of the group; a post of another group is not found.
func (s *Store) SetPinned(ctx context.Context, groupID, postID int64, pinned bool) error {
	if !pinned {
		_, err := s.pool.Exec(ctx, `DELETE FROM group_pins WHERE group_id = $1 AND post_id = $2`, groupID, postID)
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO group_pins (group_id, post_id) SELECT $1, id FROM posts
		WHERE id = $2 AND group_id = $1 AND reblog_of_id IS NULL
		ON CONFLICT DO NOTHING`, groupID, postID)
	if err == nil && tag.RowsAffected() == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM group_pins WHERE group_id = $1 AND post_id = $2)`, groupID, postID).Scan(&exists); err != nil || exists {
			return err
		}
		return ruche.ErrNotFound
	}
	return err
}

// Pinned returns the group's pinned posts as the viewer sees them, latest pin first.
func (s *Store) Pinned(ctx context.Context, v ruche.Viewer, groupID int64) ([]ruche.Post, error) {
	return s.queryPosts(ctx, v, `WHERE p.id IN (SELECT post_id FROM group_pins WHERE group_id = $3) AND `+gate("p", 1, 2)+
		` ORDER BY (SELECT pinned_at FROM group_pins WHERE group_id = $3 AND post_id = p.id) DESC LIMIT 10`, groupID)
}

// RejectRequest deletes a request to join and notifies the person turned down.
func (s *Store) RejectRequest(ctx context.Context, groupID, accountID, from int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		// Notifications page by id under the stream horizon.
		if _, err := tx.Exec(ctx, writeTimeout); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = $1 AND account_id = $2 AND state = 'requested'`, groupID, accountID)
		if err != nil || tag.RowsAffected() == 0 {
			return firstErr(err, ruche.ErrNotFound)
		}
		return notifyGroup(ctx, tx, accountID, ruche.NotifyGroupRejected, from, groupID)
	})
}

// lockGroup serializes membership changes of one group, so that two owners leaving or
// demoting each other at once cannot leave it without an owner.
func lockGroup(ctx context.Context, tx pgx.Tx, groupID int64) error {
	_, err := tx.Exec(ctx, `SELECT 1 FROM groups WHERE account_id = $1 FOR UPDATE`, groupID)
	return err
}

// keepsAnOwner fails the transaction if the group would be left without an owner.
func keepsAnOwner(ctx context.Context, tx pgx.Tx, groupID int64) error {
	// A partner's group has its owners at home; here it has only its members of ours.
	var n int
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM group_members WHERE group_id = $1 AND state = 'member' AND role = 'owner')
		+ (SELECT count(*) FROM accounts WHERE id = $1 AND domain IS NOT NULL)`,
		groupID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ruche.Errorf(ruche.CodeInvalid, "error.group_last_owner")
	}
	return nil
}
