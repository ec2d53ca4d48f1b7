package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// SeedPlan is a whole generated hive (ruche dev seed), row by row, ready to bulk-load.
// Ids are chosen by the generator in next_id()'s format (milliseconds << 16 | a
// sequence), from the rows' own times in the past, so streams order and paginate the
// seeded rows exactly as they would real ones, and later real ids sort after them.
type SeedPlan struct {
	PasswordHash  string // every seeded user's (one argon2id hash, computed once)
	Accounts      []SeedAccount
	Groups        []SeedGroup
	Members       []SeedMember // memberships, join requests and invitations
	Follows       []SeedFollow
	Tags          []SeedTag
	Posts         []SeedPost // originals and boosts
	Mentions      []SeedPair // post, account
	PostTags      []SeedPair // post, tag
	Likes         []SeedLike
	Notifications []SeedNotification
}

// SeedAccount is a local member: an accounts row and its users row.
type SeedAccount struct {
	ID                                  int64
	Username, DisplayName, Email        string
	Role                                ruche.Role
	JobTitle, Department, Location, Bio string
	Presence                            ruche.Presence
	CreatedAt                           time.Time
}

// SeedGroup is a group: an accounts row of kind 'group' (Handle is its username)
// and its groups row.
type SeedGroup struct {
	ID                        int64
	Handle, Name, Description string
	Kind                      ruche.GroupKind
	CreatedBy                 int64
	CreatedAt                 time.Time
}

// SeedMember is AccountID's standing in GroupID since At: a member with a role, or a
// pending request or invitation (role member).
type SeedMember struct {
	GroupID, AccountID int64
	State              ruche.MembershipState
	Role               ruche.GroupRole
	At                 time.Time
}

// SeedFollow is Follower following Followee since At.
type SeedFollow struct {
	Follower, Followee int64
	At                 time.Time
}

// SeedTag is a tag and its id.
type SeedTag struct {
	ID   int64
	Name string
}

// SeedPost is a post, or a boost when ReblogOfID is set (then it carries its
// original's visibility and no text, as Store.Boost writes it). A group post has
// visibility group and its GroupID. Zero ids mean none.
type SeedPost struct {
	ID, AccountID                               int64
	Visibility                                  ruche.Visibility
	InReplyToID, InReplyToAccountID, ReblogOfID int64
	GroupID                                     int64
	Source, HTML, SpoilerText                   string
	Event                                       *ruche.Event
	CreatedAt                                   time.Time
}

// SeedPair is a row of a two-column link table (mentions, post_tags).
type SeedPair struct{ A, B int64 }

// SeedLike is AccountID liking PostID at At.
type SeedLike struct {
	PostID, AccountID int64
	At                time.Time
}

// SeedNotification is a notification; PostID 0 for a follow, GroupID set for a join
// request or an invitation.
type SeedNotification struct {
	ID, AccountID           int64
	Kind                    ruche.NotificationKind
	FromID, PostID, GroupID int64
	At                      time.Time
	Read                    bool
}

// ErrNotEmpty is Seed's refusal: it only fills a database that has no account yet,
// so it can never mix made-up people into a real hive.
var ErrNotEmpty = errors.New("the database already has accounts: ruche dev seed fills an empty database only " +
	"(point RUCHE_DATA or DATABASE_URL at a new one)")

// Seed bulk-loads plan, with COPY, into a migrated database that has no account yet,
// in one transaction: either the whole hive is there or nothing is. It then vacuums
// and analyzes the tables, so the planner knows their sizes and index-only scans work
// from the first request. progress, if not nil, hears of each step once done.
// Errors: ErrNotEmpty, or the database's.
func (s *Store) Seed(ctx context.Context, plan *SeedPlan, progress func(step string, rows int, took time.Duration)) error {
	if progress == nil {
		progress = func(string, int, time.Duration) {}
	}
	tables := seedTables(plan)
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// Nobody may create an account between the check and the load.
		if _, err := tx.Exec(ctx, `LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts)`).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return ErrNotEmpty
		}
		restore, err := dropForLoad(ctx, tx, names)
		if err != nil {
			return err
		}
		for _, t := range tables {
			start := time.Now()
			n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, pgx.CopyFromSlice(t.rows, t.row))
			if err != nil {
				return fmt.Errorf("seed %s: %w", t.name, err)
			}
			progress(t.name, int(n), time.Since(start))
		}
		start := time.Now()
		for _, stmt := range restore {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("seed: %s: %w", stmt, err)
			}
		}
		progress(fmt.Sprintf("%d indexes and keys", len(restore)), 0, time.Since(start))
		return nil
	})
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) `+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("seed: vacuum: %w", err)
	}
	progress("vacuum analyze", 0, time.Since(start))
	return nil
}

// dropForLoad drops, inside tx, the foreign keys and the indexes other than primary
// keys of tables, and returns the statements that put them back exactly as they were.
// Loading without them and then building each index and checking each key in one
// pass is several times faster than maintaining them row by row (PostgreSQL's
// "Populating a Database"); being in the load's transaction, nobody sees the gap.
func dropForLoad(ctx context.Context, tx pgx.Tx, tables []string) ([]string, error) {
	if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
			format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[])
		UNION ALL
		SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid)
		FROM pg_index i WHERE indrelid = ANY($1::regclass[]) AND NOT indisprimary
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`, tables)
	pairs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (p [2]string, err error) {
		return p, row.Scan(&p[0], &p[1])
	})
	if err != nil {
		return nil, err
	}
	var restore []string
	for _, p := range pairs {
		if _, err := tx.Exec(ctx, p[0]); err != nil {
			return nil, fmt.Errorf("seed: %s: %w", p[0], err)
		}
		restore = append(restore, p[1])
	}
	return restore, nil
}

// seedTable is one COPY: a table, its columns and how to turn row i into values.
type seedTable struct {
	name    string
	columns []string
	rows    int
	row     func(i int) ([]any, error)
}

// seedTables lists the COPYs in an order that satisfies the foreign keys.
func seedTables(p *SeedPlan) []seedTable {
	return []seedTable{
		{"accounts", []string{"id", "kind", "username", "display_name", "job_title", "department", "location", "bio",
			"presence_emoji", "presence_text", "presence_expires_at", "created_at"}, len(p.Accounts) + len(p.Groups), func(i int) ([]any, error) {
			if i >= len(p.Accounts) {
				g := &p.Groups[i-len(p.Accounts)]
				return []any{g.ID, "group", g.Handle, g.Name, "", "", "", "", "", "", nil, g.CreatedAt}, nil
			}
			a := &p.Accounts[i]
			return []any{a.ID, "person", a.Username, a.DisplayName, a.JobTitle, a.Department, a.Location, a.Bio,
				a.Presence.Emoji, a.Presence.Text, a.Presence.ExpiresAt, a.CreatedAt}, nil
		}},
		{"users", []string{"account_id", "email", "password_hash", "role", "created_at"}, len(p.Accounts), func(i int) ([]any, error) {
			a := &p.Accounts[i]
			return []any{a.ID, a.Email, p.PasswordHash, string(a.Role), a.CreatedAt}, nil
		}},
		{"groups", []string{"account_id", "description", "kind", "created_by"}, len(p.Groups), func(i int) ([]any, error) {
			g := &p.Groups[i]
			return []any{g.ID, g.Description, string(g.Kind), nullID(g.CreatedBy)}, nil
		}},
		{"group_members", []string{"group_id", "account_id", "state", "role", "created_at"}, len(p.Members), func(i int) ([]any, error) {
			m := &p.Members[i]
			return []any{m.GroupID, m.AccountID, string(m.State), string(m.Role), m.At}, nil
		}},
		{"follows", []string{"follower_id", "followee_id", "created_at"}, len(p.Follows), func(i int) ([]any, error) {
			f := &p.Follows[i]
			return []any{f.Follower, f.Followee, f.At}, nil
		}},
		{"tags", []string{"id", "name"}, len(p.Tags), func(i int) ([]any, error) {
			return []any{p.Tags[i].ID, p.Tags[i].Name}, nil
		}},
		{"posts", []string{"id", "account_id", "visibility", "in_reply_to_id", "in_reply_to_account_id", "reblog_of_id",
			"source", "html", "spoiler_text", "event_title", "event_start", "event_end", "event_place", "group_id", "created_at"},
			len(p.Posts), func(i int) ([]any, error) {
				q := &p.Posts[i]
				var title, place *string
				var start, end *time.Time
				if e := q.Event; e != nil {
					title, place, start, end = &e.Title, &e.Place, &e.Start, e.End
				}
				return []any{q.ID, q.AccountID, string(q.Visibility), nullID(q.InReplyToID), nullID(q.InReplyToAccountID),
					nullID(q.ReblogOfID), q.Source, q.HTML, q.SpoilerText, title, start, end, place, nullID(q.GroupID), q.CreatedAt}, nil
			}},
		{"post_tags", []string{"post_id", "tag_id"}, len(p.PostTags), func(i int) ([]any, error) {
			return []any{p.PostTags[i].A, p.PostTags[i].B}, nil
		}},
		{"mentions", []string{"post_id", "account_id"}, len(p.Mentions), func(i int) ([]any, error) {
			return []any{p.Mentions[i].A, p.Mentions[i].B}, nil
		}},
		{"likes", []string{"post_id", "account_id", "created_at"}, len(p.Likes), func(i int) ([]any, error) {
			l := &p.Likes[i]
			return []any{l.PostID, l.AccountID, l.At}, nil
		}},
		{"notifications", []string{"id", "account_id", "kind", "from_id", "post_id", "group_id", "created_at", "read_at"},
			len(p.Notifications), func(i int) ([]any, error) {
				n := &p.Notifications[i]
				var read *time.Time
				if n.Read {
					read = &n.At
				}
				return []any{n.ID, n.AccountID, string(n.Kind), n.FromID, nullID(n.PostID), nullID(n.GroupID), n.At, read}, nil
			}},
	}
}

// BenchMemberships returns, for every account that is a member of some group, the
// groups it belongs to: ruche dev bench draws group streams from them. Errors: the
// database's.
func (s *Store) BenchMemberships(ctx context.Context) (map[int64][]int64, error) {
	rows, _ := s.pool.Query(ctx, `SELECT account_id, group_id FROM group_members WHERE state = 'member' ORDER BY account_id, group_id`)
	pairs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (p [2]int64, err error) {
		return p, row.Scan(&p[0], &p[1])
	})
	if err != nil {
		return nil, err
	}
	groups := map[int64][]int64{}
	for _, p := range pairs {
		groups[p[0]] = append(groups[p[0]], p[1])
	}
	return groups, nil
}
