package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// profileSelect counts posts through the gate for the viewer ($1, guest flag $2): a
// count of posts one may not see would tell when someone posts privately.
var profileSelect = `SELECT a.id, a.username, a.display_name, a.presence_emoji, a.presence_text, a.presence_expires_at,
	a.display_name, a.job_title, a.department, a.location, a.bio, coalesce(u.role, 'member'), a.created_at,
	(SELECT count(*) FROM posts p WHERE p.account_id = a.id AND p.reblog_of_id IS NULL AND ` + gate("p", 1, 2) + `),
	(SELECT count(*) FROM follows f WHERE f.followee_id = a.id),
	(SELECT count(*) FROM follows f WHERE f.follower_id = a.id),
	EXISTS (SELECT 1 FROM follows f WHERE f.followee_id = a.id AND f.follower_id = $1),
	coalesce(a.domain, ''), coalesce(a.avatar_media_id, 0), coalesce(a.header_media_id, 0)
FROM accounts a LEFT JOIN users u ON u.account_id = a.id `

func scanProfile(row pgx.CollectableRow) (ruche.Profile, error) {
	var p ruche.Profile
	var posts, followers, following int64
	err := row.Scan(&p.ID, &p.Username, &p.Author.DisplayName, &p.Presence.Emoji, &p.Presence.Text, &p.Presence.ExpiresAt,
		&p.ProfileFields.DisplayName, &p.JobTitle, &p.Department, &p.Location, &p.Bio, &p.Role, &p.CreatedAt,
		&posts, &followers, &following, &p.FollowedByViewer, &p.Domain, &p.Avatar, &p.Header)
	p.Posts, p.Followers, p.Following = int(posts), int(followers), int(following)
	return p, err
}

// Profile returns a member's page as the viewer sees it: a local member's, or, by
// username@domain, a partner's member's whom the viewer may know of. A post count counts
// every post: it says how active someone is, not what they wrote.
func (s *Store) Profile(ctx context.Context, v ruche.Viewer, username string) (ruche.Profile, error) {
	username, domain, ok := ruche.SplitHandle(username)
	if !ok {
		return ruche.Profile{}, ruche.ErrNotFound
	}
	if domain != "" {
		// A partner's member, for those who may know of them.
		rows, _ := s.pool.Query(ctx, profileSelect+`WHERE lower(a.username) = $3 AND lower(a.domain) = $4 AND `+knowableRemote("a", 1, 2),
			v.ID, string(v.Role), username, domain)
		p, err := pgx.CollectExactlyOneRow(rows, scanProfile)
		return p, interpret(err)
	}
	rows, _ := s.pool.Query(ctx, profileSelect+`WHERE lower(a.username) = lower($3) AND a.domain IS NULL AND a.kind = 'person'`, v.ID, string(v.Role), username)
	p, err := pgx.CollectExactlyOneRow(rows, scanProfile)
	return p, interpret(err)
}

// UpdateProfile replaces what a member says about themself.
func (s *Store) UpdateProfile(ctx context.Context, accountID int64, f ruche.ProfileFields) error {
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET display_name = $2, job_title = $3, department = $4, location = $5, bio = $6
		WHERE id = $1`, accountID, f.DisplayName, f.JobTitle, f.Department, f.Location, f.Bio)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return interpret(err)
}

// SetPresence replaces a member's status line.
func (s *Store) SetPresence(ctx context.Context, accountID int64, p ruche.Presence) error {
	_, err := s.pool.Exec(ctx, `UPDATE accounts SET presence_emoji = $2, presence_text = $3, presence_expires_at = $4 WHERE id = $1`,
		accountID, p.Emoji, p.Text, p.ExpiresAt)
	return interpret(err)
}

// Directory lists unsuspended local members matching query by name, title or department.
func (s *Store) Directory(ctx context.Context, query string, limit int) ([]ruche.Profile, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(query)) + "%"
	rows, _ := s.pool.Query(ctx, profileSelect+`WHERE a.domain IS NULL AND a.kind = 'person' AND u.suspended_at IS NULL AND ($3 = '%%' OR
		lower(a.username) LIKE $3 OR lower(a.display_name) LIKE $3 OR lower(a.job_title) LIKE $3 OR lower(a.department) LIKE $3)
		ORDER BY lower(coalesce(nullif(a.display_name, ''), a.username)) LIMIT $4`, int64(0), string(ruche.RoleMember), like, limit)
	return pgx.CollectRows(rows, scanProfile)
}

// notificationVisible keeps notifications about posts the viewer ($1, guest flag
// $2) may no longer see out of lists and counts, in SQL, before any LIMIT.
var notificationVisible = `(n.post_id IS NULL OR EXISTS (SELECT 1 FROM posts p WHERE p.id = n.post_id AND ` + gate("p", 1, 2) + `))`

// Notifications returns a page of notifications, newest first, each post as the viewer
// sees it.
func (s *Store) Notifications(ctx context.Context, v ruche.Viewer, pg ruche.Page) ([]ruche.Notification, error) {
	return s.NotificationsFiltered(ctx, v, pg, ruche.NotificationFilter{})
}

// UnreadNotifications counts unread notifications the viewer may see.
func (s *Store) UnreadNotifications(ctx context.Context, v ruche.Viewer) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM notifications n WHERE n.account_id = $1 AND n.read_at IS NULL AND `+
		notificationVisible, v.ID, string(v.Role)).Scan(&n)
	return n, err
}

// MarkNotificationsRead marks every notification read.
func (s *Store) MarkNotificationsRead(ctx context.Context, accountID int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE notifications SET read_at = now() WHERE account_id = $1 AND read_at IS NULL`, accountID)
	return err
}
