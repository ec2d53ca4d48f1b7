package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// postSelect hydrates posts for the viewer ($1) with author, counts and the viewer's
// own likes, boosts and bookmarks, and a group post with its group's instance and the
// partners it is shared with (a few rows at most, by group_shares' key). Reply counts
// go through the gate, so a reply the viewer may not see is not even counted. "b.reblog_of_id IS NOT NULL" says nothing
// new but lets the planner answer "boosted by the viewer" from posts_one_boost alone,
// rather than reading every post the viewer ever wrote.
var postSelect = `SELECT p.id, ` + authorColumns("a") + `,
	p.visibility, coalesce(p.in_reply_to_id, 0),
	CASE WHEN EXISTS (SELECT 1 FROM accounts ra WHERE ra.id = p.in_reply_to_account_id AND %[2]s) THEN p.in_reply_to_account_id ELSE 0 END,
	coalesce(p.reblog_of_id, 0),
	p.source, p.html, p.spoiler_text, p.event_title, p.event_start, p.event_end, coalesce(p.event_place, ''),
	p.created_at, p.edited_at,
	(SELECT count(*) FROM likes l WHERE l.post_id = p.id),
	(SELECT count(*) FROM posts b WHERE b.reblog_of_id = p.id),
	EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.account_id = $1),
	EXISTS (SELECT 1 FROM posts b WHERE b.reblog_of_id = p.id AND b.account_id = $1 AND b.reblog_of_id IS NOT NULL),
	EXISTS (SELECT 1 FROM bookmarks k WHERE k.post_id = p.id AND k.account_id = $1),
	ARRAY(SELECT t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = p.id ORDER BY t.name),
	ARRAY(SELECT m.account_id FROM mentions m JOIN accounts ma ON ma.id = m.account_id WHERE m.post_id = p.id AND %[3]s ORDER BY m.account_id),
	ARRAY(SELECT ma.username FROM mentions m JOIN accounts ma ON ma.id = m.account_id WHERE m.post_id = p.id AND %[3]s ORDER BY m.account_id),
	(SELECT count(*) FROM posts r WHERE r.in_reply_to_id = p.id AND %[1]s),
	coalesce(p.group_id, 0), coalesce(ga.username, ''), coalesce(ga.display_name, ''), coalesce(ga.domain, ''),
	CASE WHEN p.group_id IS NULL THEN '{}' ELSE ARRAY(SELECT gs.domain FROM group_shares gs WHERE gs.group_id = p.group_id ORDER BY gs.domain) END,
	p.group_id IS NOT NULL AND EXISTS (SELECT 1 FROM group_members gd WHERE gd.group_id = p.group_id AND gd.account_id = $1
		AND gd.state = 'member' AND gd.role IN ('owner', 'moderator')),
	p.group_id IS NOT NULL AND EXISTS (SELECT 1 FROM group_pins gp WHERE gp.group_id = p.group_id AND gp.post_id = p.id),
	(SELECT json_agg(json_build_object('id', md.id, 'kind', md.kind, 'mime', md.mime, 'name', md.file_name, 'size', md.size,
		'w', md.width, 'h', md.height, 'tw', md.thumb_width, 'th', md.thumb_height, 'ms', md.duration_ms, 'bh', md.blurhash,
		'fx', md.focus_x, 'fy', md.focus_y, 'alt', md.description, 'at', md.created_at) ORDER BY md.position)
		FROM media md WHERE md.post_id = p.id),
	ARRAY(SELECT coalesce(ma.domain, '') FROM mentions m JOIN accounts ma ON ma.id = m.account_id WHERE m.post_id = p.id AND %[3]s ORDER BY m.account_id),
	(SELECT json_build_object('url', lc.url, 'kind', lc.kind, 'title', lc.title, 'description', lc.description,
		'author', lc.author_name, 'provider', lc.provider) FROM link_cards lc WHERE lc.url = p.card_url AND lc.state = 'ready')
FROM posts p JOIN accounts a ON a.id = p.account_id LEFT JOIN accounts ga ON ga.id = p.group_id `

// selectPosts returns postSelect with the rules filled in for viewer $1, role $2: the
// reply count through the gate, and the people a post names (its mentions, whom it
// answers) only when the viewer may know them: a reply adds its parent's author to its
// mentions, and that parent may be hidden from a guest who was addressed by the reply.
func selectPosts() string { return selectPostsSQL }

var selectPostsSQL = fmt.Sprintf(postSelect, gate("r", 1, 2), knowable("ra", 1, 2), knowable("ma", 1, 2))

func scanPost(row pgx.CollectableRow) (ruche.Post, error) {
	var p ruche.Post
	var reblogID int64
	var title *string
	var start, end *time.Time
	var place string
	var mentionIDs []int64
	var mentionNames, mentionDomains []string
	var media, card []byte
	var likes, boosts, replies int64
	var group ruche.GroupRef
	dest := append(append(make([]any, 0, 40), &p.ID), authorDest(&p.Author)...)
	err := row.Scan(append(dest,
		&p.Visibility, &p.InReplyToID, &p.InReplyToAccountID, &reblogID,
		&p.Source, &p.HTML, &p.SpoilerText, &title, &start, &end, &place,
		&p.CreatedAt, &p.EditedAt, &likes, &boosts, &p.Liked, &p.Boosted, &p.Bookmarked,
		&p.Tags, &mentionIDs, &mentionNames, &replies, &group.ID, &group.Handle, &group.Name, &group.Domain, &group.SharedWith, &p.ViewerModeratesGroup, &p.Pinned,
		&media, &mentionDomains, &card)...)
	if err != nil {
		return p, err
	}
	if p.Media, err = scanAttachments(media, p.ID, p.Author.ID); err != nil {
		return p, err
	}
	if p.Card, err = scanCard(card); err != nil {
		return p, err
	}
	p.Likes, p.Boosts, p.Replies = int(likes), int(boosts), int(replies)
	if group.ID != 0 {
		p.Group = &group
	}
	if title != nil && start != nil {
		p.Event = &ruche.Event{Title: *title, Start: *start, End: end, Place: place}
	}
	for i, id := range mentionIDs {
		p.Mentions = append(p.Mentions, ruche.Author{ID: id, Username: mentionNames[i], Domain: mentionDomains[i]})
	}
	if reblogID != 0 {
		p.Reblog = &ruche.Post{ID: reblogID} // filled by hydrateBoosts
	}
	return p, nil
}

// queryPosts runs a gated post query; where and order follow postSelect, with the
// viewer as $1, the guest flag as $2 and further arguments from $3.
func (s *Store) queryPosts(ctx context.Context, v ruche.Viewer, where string, args ...any) ([]ruche.Post, error) {
	all := append([]any{v.ID, string(v.Role)}, args...)
	rows, _ := s.pool.Query(ctx, selectPosts()+where, all...)
	posts, err := pgx.CollectRows(rows, scanPost)
	if err != nil {
		return nil, err
	}
	return s.hydrateBoosts(ctx, v, posts)
}

// hydrateBoosts fills in the boosted originals, through the gate, and drops a boost
// whose original the viewer may not see (after a change of role, say).
func (s *Store) hydrateBoosts(ctx context.Context, v ruche.Viewer, posts []ruche.Post) ([]ruche.Post, error) {
	var ids []int64
	for _, p := range posts {
		if p.Reblog != nil {
			ids = append(ids, p.Reblog.ID)
		}
	}
	if len(ids) == 0 {
		return posts, nil
	}
	rows, _ := s.pool.Query(ctx, selectPosts()+postsByID, v.ID, string(v.Role), ids)
	originals, err := pgx.CollectRows(rows, scanPost)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*ruche.Post{}
	for i := range originals {
		byID[originals[i].ID] = &originals[i]
	}
	kept := posts[:0]
	for _, p := range posts {
		if p.Reblog != nil {
			if p.Reblog = byID[p.Reblog.ID]; p.Reblog == nil {
				continue // a boost of a post the viewer may not see is not shown at all
			}
		}
		kept = append(kept, p)
	}
	return kept, nil
}

// Post returns one post as the viewer sees it.
func (s *Store) Post(ctx context.Context, v ruche.Viewer, id int64) (ruche.Post, error) {
	posts, err := s.queryPosts(ctx, v, `WHERE p.id = $3 AND `+gate("p", 1, 2), id)
	if err != nil {
		return ruche.Post{}, err
	}
	if len(posts) == 0 {
		return ruche.Post{}, ruche.ErrNotFound
	}
	return posts[0], nil
}

// Timeline returns a page of a stream.
func (s *Store) Timeline(ctx context.Context, v ruche.Viewer, st ruche.Stream, pg ruche.Page) ([]ruche.Post, error) {
	if st.Kind == ruche.StreamFavourites {
		posts, _, err := s.Favourites(ctx, v, pg)
		return posts, err
	}
	if st.Kind == ruche.StreamHome {
		if posts, ok, err := s.hotHome(ctx, v, pg); ok || err != nil {
			return posts, err
		}
	}
	var horizon int64
	if err := s.pool.QueryRow(ctx, horizonSQL).Scan(&horizon); err != nil {
		return nil, fmt.Errorf("stream horizon: %w", err)
	}
	ids, err := s.streamIDs(ctx, v, st, pg, horizon)
	if err != nil || len(ids) == 0 {
		return []ruche.Post{}, err
	}
	posts, err := s.queryPosts(ctx, v, postsByID, ids)
	slices.SortFunc(posts, func(a, b ruche.Post) int { return cmp.Compare(b.ID, a.ID) })
	return posts, err
}

// streamIDs returns the ids of a page of a stream, below horizon, through the gate.
func (s *Store) streamIDs(ctx context.Context, v ruche.Viewer, st ruche.Stream, pg ruche.Page, horizon int64) ([]int64, error) {
	// The page's bounds are $3 on, so that a stream's own condition can use them too.
	within, args, order := pageBounds(pg, horizon, 3)
	n := len(args) + 3
	var cond string
	switch st.Kind {
	case ruche.StreamCompany:
		cond = `p.visibility = 'company' AND p.reblog_of_id IS NULL`
		if v.Role == ruche.RoleGuest {
			// The gate shows guests no company post but their own. Saying so here lets
			// the plan read their posts alone instead of the whole company stream.
			cond += ` AND p.account_id = $1`
		}
	case ruche.StreamHome:
		cond = homeIDs(within, order, pg.Limit)
	case ruche.StreamProfile:
		args = append(args, st.AccountID)
		cond = fmt.Sprintf(`p.account_id = $%d`, n)
	case ruche.StreamTag:
		args = append(args, st.Tag)
		cond = fmt.Sprintf(`p.id IN (SELECT pt.post_id FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE t.name = $%d)`, n)
	case ruche.StreamBookmarks:
		cond = `p.id IN (SELECT post_id FROM bookmarks WHERE account_id = $1)`
	case ruche.StreamGroup:
		args = append(args, st.AccountID)
		cond = fmt.Sprintf(`p.group_id = $%d`, n)
	case ruche.StreamList:
		args = append(args, st.AccountID)
		cond = listIDs(within, order, pg.Limit, n)
	default:
		return nil, fmt.Errorf("unknown stream %q", st.Kind)
	}
	// The page's ids first, then the posts. Planning the post columns' dozen subqueries
	// took longer than running them, and PostgreSQL plans a stream's query anew for
	// each viewer (its parameters change the estimates); the query by ids has one text
	// for every stream and viewer (hydrateBoosts' too) and estimates that do not
	// depend on them, so each connection soon keeps one plan for it.
	where := []string{cond, gate("p", 1, 2), within("p.id")}
	rows, _ := s.pool.Query(ctx, "SELECT p.id FROM posts p WHERE "+strings.Join(where, " AND ")+
		fmt.Sprintf(" ORDER BY p.id %s LIMIT %d", order, pg.Limit), append([]any{v.ID, string(v.Role)}, args...)...)
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// pageBounds returns page pg's condition on an id column (within), its arguments,
// numbered from $first, and the order to read the stream in: newest first, or oldest
// first for the page just above MinID (the caller shows it newest first). Ids at or
// above horizon are left out, when it is not 0 (see horizonSQL).
func pageBounds(pg ruche.Page, horizon int64, first int) (within func(column string) string, args []any, order string) {
	var bounds []string
	bound := func(op string, id int64) {
		args = append(args, id)
		bounds = append(bounds, fmt.Sprintf("%%[1]s %s $%d", op, first+len(args)-1))
	}
	if horizon != 0 {
		bound("<", horizon)
	}
	if pg.MaxID > 0 {
		bound("<", pg.MaxID)
	}
	if pg.SinceID > 0 {
		bound(">", pg.SinceID) // newer than SinceID, but still from the top
	}
	order = "DESC"
	if pg.MinID > 0 {
		bound(">", pg.MinID)
		order = "ASC"
	}
	within = func(column string) string {
		if len(bounds) == 0 {
			return "true"
		}
		return fmt.Sprintf(strings.Join(bounds, " AND "), column)
	}
	return within, args, order
}

// postsByID selects the posts whose ids are $3, through the gate.
var postsByID = `WHERE p.id = ANY($3) AND ` + gate("p", 1, 2)

// homeFanIn is how many people one follows before one's home stream is read from the
// newest posts of all rather than person by person.
const homeFanIn = 64

// homeIDs selects the ids of a home page for viewer $1 (role $2): own posts, followed
// people's, direct posts addressed to the viewer (a conversation is read where one
// reads, not only in notifications) and posts in the viewer's groups, gated, within
// the page's bounds, in order, at most limit. A post may come from two branches (a
// followed person's post in one of the viewer's groups); DISTINCT keeps it from taking
// two places on the page.
//
// The best plan depends on how many people the viewer follows, which the planner
// cannot know. For someone who follows many, reading all posts newest first and
// keeping the followed people's fills a page at once; for someone who follows a few
// it reads most of the table. Reading each followed person's newest posts from
// posts_account and merging them is the opposite. Both are written here, and a
// one-time filter (EXISTS … OFFSET homeFanIn) runs exactly one. The LIMIT on that
// branch's follows removes nothing (it runs only below homeFanIn) but keeps the
// planner's estimate, and so its cost, small (a plan estimated dear is JIT-compiled,
// which costs more than it saves). The first two branches apply the gate, so posts the
// viewer may not see take no place on the page; the third needs none (a direct post
// is visible to whom it mentions), and the caller gates the page again anyway.
func homeIDs(within func(column string) string, order string, limit int) string {
	return fmt.Sprintf(`p.id IN (SELECT DISTINCT h.id FROM (
	(SELECT q.id FROM posts q WHERE %[1]s
		AND (q.account_id = $1 OR q.account_id IN (SELECT followee_id FROM follows WHERE follower_id = $1))
		AND %[2]s AND %[3]s ORDER BY q.id %[4]s LIMIT %[5]d)
	UNION ALL
	(SELECT c.id FROM (SELECT $1::bigint AS author
			UNION ALL (SELECT followee_id FROM follows WHERE follower_id = $1 LIMIT %[6]d)) f
		CROSS JOIN LATERAL (SELECT q.id FROM posts q WHERE q.account_id = f.author AND %[2]s AND %[3]s
			ORDER BY q.id %[4]s LIMIT %[5]d) c
		WHERE NOT %[1]s)
	UNION ALL
	(SELECT q.id FROM mentions m JOIN posts q ON q.id = m.post_id WHERE m.account_id = $1 AND q.visibility = 'direct'
		AND %[7]s ORDER BY m.post_id %[4]s LIMIT %[5]d)
	UNION ALL
	(SELECT c.id FROM group_members gm CROSS JOIN LATERAL (SELECT q.id FROM posts q WHERE q.group_id = gm.group_id
			AND %[3]s ORDER BY q.id %[4]s LIMIT %[5]d) c
		WHERE gm.account_id = $1 AND gm.state = 'member')
	) h ORDER BY h.id %[4]s LIMIT %[5]d)`,
		fmt.Sprintf(`EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 OFFSET %d)`, homeFanIn),
		gate("q", 1, 2), within("q.id"), order, limit, homeFanIn, within("m.post_id"))
}

// Thread returns the visible ancestors, oldest first, and descendants in reply order.
func (s *Store) Thread(ctx context.Context, v ruche.Viewer, id int64) ([]ruche.Post, []ruche.Post, error) {
	ancestors, err := s.queryPosts(ctx, v, `WHERE p.id IN (
		WITH RECURSIVE up(id, parent, depth) AS (
			SELECT id, in_reply_to_id, 0 FROM posts WHERE id = $3
			UNION ALL SELECT q.id, q.in_reply_to_id, up.depth + 1 FROM posts q JOIN up ON q.id = up.parent WHERE up.depth < 200)
		SELECT id FROM up WHERE id <> $3) AND `+gate("p", 1, 2)+` ORDER BY p.id`, id)
	if err != nil {
		return nil, nil, err
	}
	// The walk stops at a reply the viewer may not see: its answers would otherwise
	// reveal that it exists (and, by their in-reply-to, its id and time).
	descendants, err := s.queryPosts(ctx, v, `WHERE p.id IN (
		WITH RECURSIVE down(id, depth) AS (
			SELECT q.id, 0 FROM posts q WHERE q.in_reply_to_id = $3 AND `+gate("q", 1, 2)+`
			UNION ALL SELECT q.id, down.depth + 1 FROM posts q JOIN down ON q.in_reply_to_id = down.id
			WHERE down.depth < 200 AND `+gate("q", 1, 2)+`)
		SELECT id FROM down) AND `+gate("p", 1, 2)+` ORDER BY p.id`, id)
	return ancestors, descendants, err
}

// UpcomingEvents returns visible posts whose event has not ended, soonest first.
func (s *Store) UpcomingEvents(ctx context.Context, v ruche.Viewer, now time.Time, limit int) ([]ruche.Post, error) {
	return s.queryPosts(ctx, v, `WHERE p.event_start IS NOT NULL AND coalesce(p.event_end, p.event_start) >= $3 AND `+
		gate("p", 1, 2)+fmt.Sprintf(` ORDER BY p.event_start LIMIT %d`, limit), now)
}
