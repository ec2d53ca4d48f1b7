package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.SocialStore = (*Store)(nil)

// knowable says that account a is one the viewer ($viewer, role $role) may know of:
//
//   - a person of this instance who is not suspended, and, for a guest, only
//     themself or someone one of whose posts they can see (who wrote to them, or in
//     one of their groups): guests may not discover who works here, but whoever's
//     name they already read on a post is no secret to them (AccountByUsername's rule);
//   - a group the viewer may know exists (ruche's mayKnow): company admins know every
//     group, members and invitees know theirs, other members of the company know the
//     groups that are not secret, guests know no other.
//
// The domain applies mayKnow again to the groups it gets; social_test.go checks that
// both agree for every kind of group and every standing.
func knowable(a string, viewer, role int) string {
	return fmt.Sprintf(`(%[1]s.domain IS NULL AND (
	(%[1]s.kind = 'person'
		AND NOT EXISTS (SELECT 1 FROM users ku WHERE ku.account_id = %[1]s.id AND ku.suspended_at IS NOT NULL)
		AND ($%[3]d::text <> 'guest' OR %[1]s.id = $%[2]d OR EXISTS (SELECT 1 FROM posts kp
			WHERE kp.account_id = %[1]s.id AND %[4]s)))
	OR (%[1]s.kind = 'group' AND ($%[3]d::text = 'admin'
		OR EXISTS (SELECT 1 FROM group_members km WHERE km.group_id = %[1]s.id AND km.account_id = $%[2]d AND km.state IN ('member', 'invited'))
		OR ($%[3]d::text <> 'guest' AND EXISTS (SELECT 1 FROM groups kg WHERE kg.account_id = %[1]s.id AND kg.kind <> 'secret'))))))`,
		a, viewer, role, gate("kp", viewer, role))
}

// accountSelect hydrates accounts for the viewer ($1, role $2), persons and groups
// alike. Counts of posts and the time of the last one go through the gate, as on a
// profile: a count of posts one may not see would tell when someone posts privately.
// A group's followers are its members, and following it is being one.
var accountSelect = `SELECT a.id, a.username, a.display_name, a.presence_emoji, a.presence_text, a.presence_expires_at,
	a.display_name, a.job_title, a.department, a.location, CASE WHEN a.kind = 'group' THEN coalesce(g.description, '') ELSE a.bio END,
	CASE WHEN a.kind = 'group' THEN '' ELSE coalesce(u.role, 'member') END, a.created_at,
	CASE WHEN a.kind = 'group'
		THEN (SELECT count(*) FROM posts p WHERE p.group_id = a.id AND p.reblog_of_id IS NULL AND ` + gate("p", 1, 2) + `)
		ELSE (SELECT count(*) FROM posts p WHERE p.account_id = a.id AND p.reblog_of_id IS NULL AND ` + gate("p", 1, 2) + `) END,
	CASE WHEN a.kind = 'group'
		THEN (SELECT count(*) FROM group_members c WHERE c.group_id = a.id AND c.state = 'member')
		ELSE (SELECT count(*) FROM follows f WHERE f.followee_id = a.id) END,
	CASE WHEN a.kind = 'group' THEN 0 ELSE (SELECT count(*) FROM follows f WHERE f.follower_id = a.id) END,
	CASE WHEN a.kind = 'group' THEN coalesce(m.state = 'member', false)
		ELSE EXISTS (SELECT 1 FROM follows f WHERE f.followee_id = a.id AND f.follower_id = $1) END,
	CASE WHEN a.kind = 'group'
		THEN (SELECT p.created_at FROM posts p WHERE p.group_id = a.id AND p.reblog_of_id IS NULL AND ` + gate("p", 1, 2) + `
			ORDER BY p.id DESC LIMIT 1)
		ELSE (SELECT p.created_at FROM posts p WHERE p.account_id = a.id AND p.reblog_of_id IS NULL AND ` + gate("p", 1, 2) + `
			ORDER BY p.id DESC LIMIT 1) END,
	g.account_id IS NOT NULL, coalesce(g.kind, ''), coalesce(m.role, ''), coalesce(m.state, ''), coalesce(m.notify, false),
	coalesce(a.avatar_media_id, 0), coalesce(a.header_media_id, 0)
FROM accounts a LEFT JOIN users u ON u.account_id = a.id LEFT JOIN groups g ON g.account_id = a.id
LEFT JOIN group_members m ON m.group_id = g.account_id AND m.account_id = $1
WHERE ` + knowable("a", 1, 2) + ` `

func scanAccount(row pgx.CollectableRow) (ruche.Account, error) {
	var a ruche.Account
	var posts, followers, following int64
	var isGroup bool
	var g ruche.Group
	err := row.Scan(&a.ID, &a.Username, &a.Author.DisplayName, &a.Presence.Emoji, &a.Presence.Text, &a.Presence.ExpiresAt,
		&a.ProfileFields.DisplayName, &a.JobTitle, &a.Department, &a.Location, &a.Bio, &a.Role, &a.CreatedAt,
		&posts, &followers, &following, &a.FollowedByViewer, &a.LastPostAt,
		&isGroup, &g.Kind, &g.ViewerRole, &g.ViewerState, &g.ViewerNotify, &a.Avatar, &a.Header)
	a.Posts, a.Followers, a.Following = int(posts), int(followers), int(following)
	if isGroup {
		g.ID, g.Handle, g.Name, g.Description, g.CreatedAt, g.Members = a.ID, a.Username, a.Author.DisplayName, a.Bio, a.CreatedAt, a.Followers
		g.Avatar, g.Header = a.Avatar, a.Header
		if g.ViewerState != ruche.StateMember {
			g.ViewerRole = ""
		}
		a.Group = &g
	}
	return a, err
}

// AccountsByID returns the accounts among ids that the viewer may know.
func (s *Store) AccountsByID(ctx context.Context, v ruche.Viewer, ids []int64) ([]ruche.Account, error) {
	rows, _ := s.pool.Query(ctx, accountSelect+`AND a.id = ANY($3)`, v.ID, string(v.Role), ids)
	return pgx.CollectRows(rows, scanAccount)
}

// AccountByHandle returns the person or group with handle, if the viewer may know it.
func (s *Store) AccountByHandle(ctx context.Context, v ruche.Viewer, handle string) (ruche.Account, error) {
	rows, _ := s.pool.Query(ctx, accountSelect+`AND lower(a.username) = lower($3)`, v.ID, string(v.Role), handle)
	a, err := pgx.CollectExactlyOneRow(rows, scanAccount)
	return a, interpret(err)
}

// accountList returns a page of a list of accounts. from is a subquery, aliased x,
// of the list's entries: x.id, the account, and x.page_id, the entry's own id, which
// orders the list; its arguments are $3 on. The people the viewer may not know are
// left out before the page is cut, so that a page is full when there is more.
func (s *Store) accountList(ctx context.Context, v ruche.Viewer, pg ruche.Page, from string, args ...any) ([]ruche.Account, error) {
	within, bounds, order := pageBounds(pg, 0, 3+len(args))
	all := append(append([]any{v.ID, string(v.Role)}, args...), bounds...)
	rows, _ := s.pool.Query(ctx, `SELECT x.id, x.page_id FROM `+from+` JOIN accounts a ON a.id = x.id
		WHERE `+knowable("a", 1, 2)+` AND `+within("x.page_id")+
		fmt.Sprintf(` ORDER BY x.page_id %s LIMIT %d`, order, pg.Limit), all...)
	type entry struct{ ID, PageID int64 }
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[entry])
	if err != nil || len(entries) == 0 {
		return []ruche.Account{}, err
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	as, err := s.AccountsByID(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]ruche.Account{}
	for _, a := range as {
		byID[a.ID] = a
	}
	// Newest entry first, whichever way the page was read.
	out := make([]ruche.Account, 0, len(entries))
	for i := range entries {
		e := entries[i]
		if order == "ASC" {
			e = entries[len(entries)-1-i]
		}
		if a, ok := byID[e.ID]; ok { // gone only in a race with a change
			a.PageID = e.PageID
			out = append(out, a)
		}
	}
	return out, nil
}

// Followers lists who follows accountID, or, for a group, its members, newest first.
// An id is a person or a group, so one query serves both.
func (s *Store) Followers(ctx context.Context, v ruche.Viewer, accountID int64, pg ruche.Page) ([]ruche.Account, error) {
	return s.accountList(ctx, v, pg, `(SELECT f.follower_id AS id, f.id AS page_id FROM follows f WHERE f.followee_id = $3
		UNION ALL SELECT gm.account_id, gm.id FROM group_members gm WHERE gm.group_id = $3 AND gm.state = 'member') x`, accountID)
}

// Following lists whom accountID follows, newest follow first.
func (s *Store) Following(ctx context.Context, v ruche.Viewer, accountID int64, pg ruche.Page) ([]ruche.Account, error) {
	return s.accountList(ctx, v, pg, `(SELECT f.followee_id AS id, f.id AS page_id FROM follows f WHERE f.follower_id = $3) x`, accountID)
}

// postVisible is true when the viewer ($1, role $2) may see post $3.
var postVisible = `EXISTS (SELECT 1 FROM posts p WHERE p.id = $3 AND ` + gate("p", 1, 2) + `)`

// FavouritedBy lists who liked postID, newest like first, if the viewer may see it.
func (s *Store) FavouritedBy(ctx context.Context, v ruche.Viewer, postID int64, pg ruche.Page) ([]ruche.Account, error) {
	return s.accountList(ctx, v, pg, `(SELECT l.account_id AS id, l.id AS page_id FROM likes l
		WHERE l.post_id = $3 AND `+postVisible+`) x`, postID)
}

// RebloggedBy lists who boosted postID, newest boost first, if the viewer may see it.
func (s *Store) RebloggedBy(ctx context.Context, v ruche.Viewer, postID int64, pg ruche.Page) ([]ruche.Account, error) {
	return s.accountList(ctx, v, pg, `(SELECT b.account_id AS id, b.id AS page_id FROM posts b
		WHERE b.reblog_of_id = $3 AND `+postVisible+`) x`, postID)
}

// Relationships returns the viewer's standing with each account among ids that the
// viewer may know.
func (s *Store) Relationships(ctx context.Context, v ruche.Viewer, ids []int64) ([]ruche.Relationship, error) {
	rows, _ := s.pool.Query(ctx, `SELECT a.id,
			CASE WHEN a.kind = 'group' THEN coalesce(m.state = 'member', false)
				ELSE EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = a.id) END,
			a.kind = 'person' AND EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = a.id AND f.followee_id = $1),
			coalesce(m.state = 'requested', false),
			coalesce(m.state = 'member', false)
		FROM accounts a LEFT JOIN group_members m ON m.group_id = a.id AND m.account_id = $1
		WHERE a.id = ANY($3) AND `+knowable("a", 1, 2), v.ID, string(v.Role), ids)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ruche.Relationship])
}

// notificationSelect reads the viewer's ($1, role $2) notifications, leaving out
// those about posts the viewer may no longer see; conditions follow.
var notificationSelect = `SELECT n.id, n.kind, ` + authorColumns("a") + `, coalesce(n.post_id, 0), n.created_at, n.read_at IS NOT NULL,
		coalesce(n.group_id, 0), coalesce(ga.username, ''), coalesce(ga.display_name, ''), coalesce(ga.domain, '')
	FROM notifications n JOIN accounts a ON a.id = n.from_id LEFT JOIN accounts ga ON ga.id = n.group_id
	WHERE n.account_id = $1 AND ` + notificationVisible + ` `

// queryNotifications runs notificationSelect with more conditions (arguments from $3)
// and fills in each post as the viewer sees it.
func (s *Store) queryNotifications(ctx context.Context, v ruche.Viewer, more string, args ...any) ([]ruche.Notification, error) {
	rows, _ := s.pool.Query(ctx, notificationSelect+more, append([]any{v.ID, string(v.Role)}, args...)...)
	var postIDs []int64
	ns, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ruche.Notification, error) {
		var n ruche.Notification
		var postID int64
		var g ruche.GroupRef
		dest := append([]any{&n.ID, &n.Kind}, authorDest(&n.From)...)
		err := row.Scan(append(dest, &postID, &n.CreatedAt, &n.Read, &g.ID, &g.Handle, &g.Name, &g.Domain)...)
		if g.ID != 0 {
			n.Group = &g
		}
		if postID != 0 {
			n.Post = &ruche.Post{ID: postID}
			postIDs = append(postIDs, postID)
		}
		return n, err
	})
	if err != nil || len(postIDs) == 0 {
		return ns, err
	}
	posts, err := s.queryPosts(ctx, v, postsByID, postIDs)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*ruche.Post{}
	for i := range posts {
		byID[posts[i].ID] = &posts[i]
	}
	for i := range ns {
		if ns[i].Post != nil {
			ns[i].Post = byID[ns[i].Post.ID] // gated twice; nil only in a race with a change
		}
	}
	return ns, nil
}

func kindStrings(ks []ruche.NotificationKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// notificationMatches is NotificationFilter's condition on notification n, its
// arguments ($3 to $5) from filterArgs.
const notificationMatches = `AND (cardinality($3::text[]) = 0 OR n.kind = ANY($3::text[]))
		AND NOT n.kind = ANY($4::text[]) AND ($5::bigint = 0 OR n.from_id = $5) `

func filterArgs(f ruche.NotificationFilter) []any {
	return []any{kindStrings(f.Types), kindStrings(f.ExcludeTypes), f.FromAccountID}
}

// NotificationsFiltered returns a page of the viewer's notifications matching f,
// newest first, each post as the viewer sees it. Notification ids come from the
// clock at insert, as posts' do, and apps poll for newer ones with since_id and
// min_id: the page stops below the stream horizon (horizonSQL) so that a notification
// whose transaction commits after a newer one is never skipped.
func (s *Store) NotificationsFiltered(ctx context.Context, v ruche.Viewer, pg ruche.Page, f ruche.NotificationFilter) ([]ruche.Notification, error) {
	var horizon int64
	if err := s.pool.QueryRow(ctx, horizonSQL).Scan(&horizon); err != nil {
		return nil, fmt.Errorf("stream horizon: %w", err)
	}
	within, bounds, order := pageBounds(pg, horizon, 6)
	ns, err := s.queryNotifications(ctx, v, notificationMatches+`AND `+within("n.id")+
		fmt.Sprintf(` ORDER BY n.id %s LIMIT %d`, order, pg.Limit), append(filterArgs(f), bounds...)...)
	if err != nil {
		return nil, err
	}
	if order == "ASC" {
		for i, j := 0, len(ns)-1; i < j; i, j = i+1, j-1 {
			ns[i], ns[j] = ns[j], ns[i]
		}
	}
	if ns == nil {
		ns = []ruche.Notification{}
	}
	return ns, nil
}

// CountNotifications counts the viewer's notifications matching f with ids above
// sinceID, up to limit, leaving out those about posts the viewer may no longer see
// (the rule of NotificationsFiltered). The LIMIT inside stops the count at limit, so
// that a member with years of notifications costs no more than one page.
func (s *Store) CountNotifications(ctx context.Context, v ruche.Viewer, sinceID int64, f ruche.NotificationFilter, limit int) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM notifications n WHERE n.account_id = $1 AND `+
		notificationVisible+` `+notificationMatches+`AND n.id > $6 LIMIT $7) x`,
		append([]any{v.ID, string(v.Role)}, append(filterArgs(f), sinceID, limit)...)...).Scan(&n)
	return n, err
}

// Notification returns one of the viewer's notifications.
func (s *Store) Notification(ctx context.Context, v ruche.Viewer, id int64) (ruche.Notification, error) {
	ns, err := s.queryNotifications(ctx, v, `AND n.id = $3`, id)
	if err != nil {
		return ruche.Notification{}, err
	}
	if len(ns) == 0 {
		return ruche.Notification{}, ruche.ErrNotFound
	}
	return ns[0], nil
}

// DismissNotification deletes one of the viewer's notifications.
func (s *Store) DismissNotification(ctx context.Context, v ruche.Viewer, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM notifications n WHERE n.account_id = $1 AND n.id = $3 AND `+notificationVisible,
		v.ID, string(v.Role), id)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return err
}

// ClearNotifications deletes every notification of accountID.
func (s *Store) ClearNotifications(ctx context.Context, accountID int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM notifications WHERE account_id = $1`, accountID)
	return err
}

// conversationsCTE finds the viewer's ($1, role $2) conversations of direct posts.
// mine: the direct posts the viewer may see (their own and those that mention them;
// the gate says the same). thread: each of them with its root, the first post of the
// unbroken chain of replies among them that leads to it; a reply whose parent the
// viewer may not see starts a conversation of its own, so that no conversation names
// a post the viewer may not see. convo: each conversation with its last post, whether
// someone else wrote since the viewer's read mark, and whether it is hidden (no post
// since the viewer hid it).
var conversationsCTE = `WITH RECURSIVE mine AS MATERIALIZED (
	SELECT p.id, p.in_reply_to_id, p.account_id FROM posts p
	WHERE p.visibility = 'direct' AND p.reblog_of_id IS NULL
		AND (p.account_id = $1 OR p.id IN (SELECT post_id FROM mentions WHERE account_id = $1)) AND ` + gate("p", 1, 2) + `
), thread (id, root) AS (
	SELECT t.id, t.id FROM mine t WHERE NOT EXISTS (SELECT 1 FROM mine up WHERE up.id = t.in_reply_to_id)
	UNION ALL
	SELECT t.id, r.root FROM mine t JOIN thread r ON t.in_reply_to_id = r.id
), convo AS (
	SELECT r.root, max(r.id) AS last,
		coalesce(bool_or(t.account_id <> $1 AND t.id > coalesce(c.read_up_to, 0)), false) AS unread,
		max(r.id) <= coalesce(c.hidden_up_to, 0) AS hidden
	FROM thread r JOIN mine t ON t.id = r.id
	LEFT JOIN conversation_marks c ON c.account_id = $1 AND c.root_id = r.root
	GROUP BY r.root, c.read_up_to, c.hidden_up_to
) `

// Conversations returns a page of the viewer's conversations that are not hidden,
// the newest last post first.
func (s *Store) Conversations(ctx context.Context, v ruche.Viewer, pg ruche.Page) ([]ruche.Conversation, error) {
	within, bounds, order := pageBounds(pg, 0, 3)
	rows, _ := s.pool.Query(ctx, conversationsCTE+`SELECT convo.root, convo.last, convo.unread,
			ARRAY(SELECT x.account_id FROM (
				SELECT t.account_id FROM thread r JOIN mine t ON t.id = r.id WHERE r.root = convo.root
				UNION SELECT n.account_id FROM thread r JOIN mentions n ON n.post_id = r.id WHERE r.root = convo.root) x
				WHERE x.account_id <> $1 ORDER BY x.account_id)
		FROM convo WHERE NOT convo.hidden AND `+within("convo.last")+
		fmt.Sprintf(` ORDER BY convo.last %s LIMIT %d`, order, pg.Limit), append([]any{v.ID, string(v.Role)}, bounds...)...)
	type convo struct {
		Root, Last int64
		Unread     bool
		Others     []int64
	}
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[convo])
	if err != nil || len(cs) == 0 {
		return []ruche.Conversation{}, err
	}
	var lastIDs, people []int64
	for _, c := range cs {
		lastIDs = append(lastIDs, c.Last)
		people = append(people, c.Others...)
	}
	posts, err := s.queryPosts(ctx, v, postsByID, lastIDs)
	if err != nil {
		return nil, err
	}
	postByID := map[int64]ruche.Post{}
	for _, p := range posts {
		postByID[p.ID] = p
	}
	authors, err := s.authors(ctx, v, people)
	if err != nil {
		return nil, err
	}
	out := make([]ruche.Conversation, 0, len(cs))
	for i := range cs {
		c := cs[i]
		if order == "ASC" {
			c = cs[len(cs)-1-i]
		}
		last, ok := postByID[c.Last]
		if !ok {
			continue // deleted since: gone only in a race with a change
		}
		conv := ruche.Conversation{ID: c.Root, LastPost: last, Unread: c.Unread, Accounts: []ruche.Author{}}
		for _, id := range c.Others {
			if a, ok := authors[id]; ok {
				conv.Accounts = append(conv.Accounts, a)
			}
		}
		out = append(out, conv)
	}
	return out, nil
}

// authors returns the author cards of ids the viewer may know. They are the people on
// posts the viewer sees (authors and mentions); a mention added by a reply to a post the
// viewer cannot see may name someone they may not know, who is left out.
func (s *Store) authors(ctx context.Context, v ruche.Viewer, ids []int64) (map[int64]ruche.Author, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+authorColumns("a")+`
		FROM accounts a WHERE a.id = ANY($3) AND `+knowable("a", 1, 2), v.ID, string(v.Role), ids)
	as, err := pgx.CollectRows(rows, scanAuthor)
	byID := map[int64]ruche.Author{}
	for _, a := range as {
		byID[a.ID] = a
	}
	return byID, err
}

// markConversation sets one of the viewer's marks on conversation root to its last
// post: column is read_up_to or hidden_up_to.
func (s *Store) markConversation(ctx context.Context, v ruche.Viewer, root int64, column string) error {
	tag, err := s.pool.Exec(ctx, conversationsCTE+`INSERT INTO conversation_marks AS c (account_id, root_id, `+column+`)
		SELECT $1, convo.root, convo.last FROM convo WHERE convo.root = $3
		ON CONFLICT (account_id, root_id) DO UPDATE SET `+column+` = greatest(c.`+column+`, excluded.`+column+`)`,
		v.ID, string(v.Role), root)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return err
}

// MarkConversationRead marks the viewer's conversation root read up to its last post.
func (s *Store) MarkConversationRead(ctx context.Context, v ruche.Viewer, root int64) error {
	return s.markConversation(ctx, v, root, "read_up_to")
}

// HideConversation hides the viewer's conversation root until a newer post.
func (s *Store) HideConversation(ctx context.Context, v ruche.Viewer, root int64) error {
	return s.markConversation(ctx, v, root, "hidden_up_to")
}

// likePattern escapes s for LIKE.
func likePattern(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SearchAccounts finds people and groups the viewer may know: exact usernames first,
// then usernames and names that start with query, then the rest by name.
func (s *Store) SearchAccounts(ctx context.Context, v ruche.Viewer, query string, limit int) ([]ruche.Account, error) {
	q := strings.ToLower(query)
	rows, _ := s.pool.Query(ctx, `SELECT a.id FROM accounts a WHERE `+knowable("a", 1, 2)+`
		AND (lower(a.username) LIKE $3 OR lower(a.display_name) LIKE $3
			OR (a.kind = 'person' AND (lower(a.job_title) LIKE $3 OR lower(a.department) LIKE $3)))
		ORDER BY lower(a.username) = $5 DESC, (lower(a.username) LIKE $4 OR lower(a.display_name) LIKE $4) DESC,
			lower(coalesce(nullif(a.display_name, ''), a.username)), a.id
		LIMIT $6`, v.ID, string(v.Role), "%"+likePattern(q)+"%", likePattern(q)+"%", q, limit)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return []ruche.Account{}, err
	}
	as, err := s.AccountsByID(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]ruche.Account{}
	for _, a := range as {
		byID[a.ID] = a
	}
	out := make([]ruche.Account, 0, len(ids))
	for _, id := range ids {
		if a, ok := byID[id]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// SearchTags returns tags starting with prefix that are on a post the viewer may see.
func (s *Store) SearchTags(ctx context.Context, v ruche.Viewer, prefix string, limit int) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT t.name FROM tags t WHERE t.name LIKE $3
		AND EXISTS (SELECT 1 FROM post_tags pt JOIN posts p ON p.id = pt.post_id WHERE pt.tag_id = t.id AND `+gate("p", 1, 2)+`)
		ORDER BY t.name = $4 DESC, t.name LIMIT $5`, v.ID, string(v.Role), likePattern(prefix)+"%", prefix, limit)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
