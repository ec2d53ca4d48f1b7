package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// The home stream from the read model (see hot): who the reader is to the rule, the
// newest ids of their home stream as the SQL gate let them through, and the posts.

// hotStamps numbers the versions of posts the read model loads (ruche.Post.Stamp).
var hotStamps atomic.Uint64

// hotFeedLen is how many of a home stream's newest ids are kept: two pages of the
// largest size apps ask for. Older pages come from SQL.
const hotFeedLen = 80

// hotViewer is what the rule needs to know about one reader, and their home stream, as
// read at one moment. Never changed once kept: a change replaces it.
type hotViewer struct {
	role      ruche.Role
	follows   map[int64]bool
	groups    map[int64]bool // groups they are a member of
	moderates map[int64]bool // groups they own or moderate
	feed      []int64        // the newest home ids, newest first
	whole     bool           // feed is the whole home stream

	liked, boosted, bookmarked map[int64]bool // among the feed's posts and what they boost
}

// hotPost is a post as every member sees it, without any reader's own marks, and what
// the rule needs about it and its replies. Never changed once kept.
type hotPost struct {
	post     ruche.Post
	mentions []int64 // whom it mentions (its original's, for a boost), for the rule
	partial  bool    // it names someone (mention, parent's author) not every member may know
	replies  []hotReply
}

type hotReply struct {
	author, group int64
	vis           ruche.Visibility
	mentions      []int64
}

func set(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// sees asks THE rule (ruche.CanSee) whether reader id may see a post with these facts.
func (hv *hotViewer) sees(id int64, vis ruche.Visibility, author, group int64, mentions []int64) bool {
	return ruche.CanSee(vis, ruche.Relation{
		Author: author == id, Follower: hv.follows[author], Mentioned: slices.Contains(mentions, id),
		Guest: hv.role == ruche.RoleGuest, GroupMember: group != 0 && hv.groups[group], Admin: hv.role == ruche.RoleAdmin,
	})
}

func groupOf(p ruche.Post) int64 {
	if p.Group == nil {
		return 0
	}
	return p.Group.ID
}

// show is hp as reader id sees it: their marks, and replies counted through the rule.
func (hv *hotViewer) show(id int64, hp *hotPost) ruche.Post {
	p := hp.post
	p.Liked, p.Boosted, p.Bookmarked = hv.liked[p.ID], hv.boosted[p.ID], hv.bookmarked[p.ID]
	p.ViewerModeratesGroup = p.Group != nil && hv.moderates[p.Group.ID]
	p.Replies = 0
	for _, r := range hp.replies {
		if hv.sees(id, r.vis, r.author, r.group, r.mentions) {
			p.Replies++
		}
	}
	return p
}

// window returns the feed's ids that page pg may take, in the order to take them, and
// whether running out of them means the page is complete (rather than that older posts
// are missing from the feed).
func (hv *hotViewer) window(pg ruche.Page) (ids []int64, covered bool) {
	oldest := int64(0)
	if len(hv.feed) > 0 {
		oldest = hv.feed[len(hv.feed)-1]
	}
	for _, id := range hv.feed {
		if (pg.MaxID > 0 && id >= pg.MaxID) || id <= pg.SinceID || id <= pg.MinID {
			continue
		}
		ids = append(ids, id)
	}
	if pg.MinID > 0 {
		slices.Reverse(ids) // the page just above MinID
		return ids, hv.whole || oldest <= pg.MinID
	}
	return ids, hv.whole || (pg.SinceID > 0 && oldest <= pg.SinceID)
}

// hotHome answers a page of v's home stream from memory when it can do so exactly;
// ok false sends the caller to SQL.
func (s *Store) hotHome(ctx context.Context, v ruche.Viewer, pg ruche.Page) (posts []ruche.Post, ok bool, err error) {
	h := s.hot
	e, usable := h.usable()
	why := hotServed
	defer func() { h.stats[why].Add(1) }()
	switch {
	case !usable || ruche.WantsFresh(ctx):
		why = hotBypassed
		return nil, false, nil
	case v.Role == ruche.RoleGuest:
		why = hotGuest
		return nil, false, nil
	case pg.Limit <= 0 || pg.Limit > hotFeedLen:
		why = hotOutside
		return nil, false, nil
	}
	h.mu.RLock()
	hv := h.viewers[v.ID]
	h.mu.RUnlock()
	if hv == nil {
		if hv, err = s.loadHotViewer(ctx, v, e); hv == nil || err != nil {
			why = hotBypassed
			return nil, false, err
		}
	}
	if hv.role != v.Role {
		why = hotBypassed
		return nil, false, nil
	}
	ids, covered := hv.window(pg)
	posts = make([]ruche.Post, 0, pg.Limit)
	// As in SQL, the page is the first Limit posts the rule lets through; a boost whose
	// original is hidden takes its place on the page and is then left out.
	slots := 0
	for len(ids) > 0 && slots < pg.Limit {
		chunk := ids[:min(len(ids), pg.Limit-slots)]
		ids = ids[len(chunk):]
		got, err := s.hotPosts(ctx, e, chunk)
		if err != nil {
			return nil, false, err
		}
		var originals []int64
		for _, id := range chunk {
			if hp := got[id]; hp != nil && hp.post.Reblog != nil {
				originals = append(originals, hp.post.Reblog.ID)
			}
		}
		orig, err := s.hotPosts(ctx, e, originals)
		if err != nil {
			return nil, false, err
		}
		for _, id := range chunk {
			hp := got[id]
			if hp == nil { // deleted since the feed was read
				continue
			}
			if hp.partial {
				why = hotPartial
				return nil, false, nil
			}
			p := hp.post
			if !hv.sees(v.ID, p.Visibility, p.Author.ID, groupOf(p), hp.mentions) {
				continue
			}
			slots++
			shown := hv.show(v.ID, hp)
			if p.Reblog != nil {
				op := orig[p.Reblog.ID]
				if op == nil || !hv.sees(v.ID, op.post.Visibility, op.post.Author.ID, groupOf(op.post), op.mentions) {
					continue // as hydrateBoosts: a boost of what one may not see is not shown
				}
				if op.partial {
					why = hotPartial
					return nil, false, nil
				}
				o := hv.show(v.ID, op)
				shown.Reblog = &o
			}
			posts = append(posts, shown)
		}
	}
	if slots < pg.Limit && !covered {
		why = hotOutside
		return nil, false, nil
	}
	if pg.MinID > 0 {
		slices.Reverse(posts)
	}
	return posts, true, nil
}

// loadHotViewer reads v's facts and home stream, keeping them unless something changed
// meanwhile or a writer held the stream's horizon back (a post of theirs, not yet
// committed, may belong on it). It returns nil for a reader the store does not know as
// an active member.
func (s *Store) loadHotViewer(ctx context.Context, v ruche.Viewer, e uint64) (*hotViewer, error) {
	var horizon int64
	var held bool
	if err := s.pool.QueryRow(ctx, heldHorizonSQL).Scan(&horizon, &held); err != nil {
		return nil, fmt.Errorf("stream horizon: %w", err)
	}
	var role string
	var follows, groups, moderates []int64
	err := s.pool.QueryRow(ctx, `SELECT u.role,
			ARRAY(SELECT followee_id FROM follows WHERE follower_id = $1),
			ARRAY(SELECT group_id FROM group_members WHERE account_id = $1 AND state = 'member'),
			ARRAY(SELECT group_id FROM group_members WHERE account_id = $1 AND state = 'member' AND role IN ('owner', 'moderator'))
		FROM users u WHERE u.account_id = $1 AND u.suspended_at IS NULL`, v.ID).Scan(&role, &follows, &groups, &moderates)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	feed, err := s.streamIDs(ctx, v, ruche.Stream{Kind: ruche.StreamHome}, ruche.Page{Limit: hotFeedLen}, horizon)
	if err != nil {
		return nil, err
	}
	var liked, bookmarked, boosted []int64
	err = s.pool.QueryRow(ctx, `WITH t AS (SELECT unnest($2::bigint[]) AS id
			UNION SELECT reblog_of_id FROM posts WHERE id = ANY($2) AND reblog_of_id IS NOT NULL)
		SELECT ARRAY(SELECT l.post_id FROM likes l JOIN t ON t.id = l.post_id WHERE l.account_id = $1),
			ARRAY(SELECT k.post_id FROM bookmarks k JOIN t ON t.id = k.post_id WHERE k.account_id = $1),
			ARRAY(SELECT b.reblog_of_id FROM posts b JOIN t ON t.id = b.reblog_of_id WHERE b.account_id = $1 AND b.reblog_of_id IS NOT NULL)`,
		v.ID, feed).Scan(&liked, &bookmarked, &boosted)
	if err != nil {
		return nil, err
	}
	hv := &hotViewer{role: ruche.Role(role), follows: set(follows), groups: set(groups), moderates: set(moderates),
		feed: feed, whole: len(feed) < hotFeedLen, liked: set(liked), bookmarked: set(bookmarked), boosted: set(boosted)}
	if !held {
		s.hot.keep(e, func() {
			trim(s.hot.viewers, hotMaxViewers)
			s.hot.viewers[v.ID] = hv
		})
	}
	return hv, nil
}

// hotPosts returns the posts of ids that exist, from memory or else read (and kept
// unless something changed since epoch e). Nothing here is gated: the caller asks the
// rule with each post's facts.
func (s *Store) hotPosts(ctx context.Context, e uint64, ids []int64) (map[int64]*hotPost, error) {
	out := make(map[int64]*hotPost, len(ids))
	var missing []int64
	s.hot.mu.RLock()
	for _, id := range ids {
		if hp := s.hot.posts[id]; hp != nil {
			out[id] = hp
		} else {
			missing = append(missing, id)
		}
	}
	s.hot.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	// As a member who follows nobody and belongs to no group sees them (viewer 0): what
	// every member sees alike. Their own marks and reply counts are the reader's, below.
	var b pgx.Batch
	b.Queue(selectPosts()+`WHERE p.id = ANY($3)`, int64(0), string(ruche.RoleMember), missing)
	b.Queue(`SELECT p.id, coalesce(p.in_reply_to_account_id, 0),
			ARRAY(SELECT m.account_id FROM mentions m WHERE m.post_id = coalesce(p.reblog_of_id, p.id)),
			(SELECT count(*) FROM mentions m WHERE m.post_id = p.id)
		FROM posts p WHERE p.id = ANY($1)`, missing)
	b.Queue(`SELECT r.in_reply_to_id, r.account_id, r.visibility, coalesce(r.group_id, 0),
			ARRAY(SELECT m.account_id FROM mentions m WHERE m.post_id = r.id)
		FROM posts r WHERE r.in_reply_to_id = ANY($1)`, missing)
	res := s.pool.SendBatch(ctx, &b)
	defer res.Close()
	rows, _ := res.Query()
	posts, err := pgx.CollectRows(rows, scanPost)
	if err != nil {
		return nil, err
	}
	loaded := make(map[int64]*hotPost, len(posts))
	for _, p := range posts {
		// Only members who may know everyone it names are served it from memory
		// (partial), and to them it reads the same: the stamp says so to front doors.
		p.Stamp = hotStamps.Add(1)
		loaded[p.ID] = &hotPost{post: p}
	}
	rows, _ = res.Query()
	var id, parentAuthor, own int64
	var mentions []int64
	_, err = pgx.ForEachRow(rows, []any{&id, &parentAuthor, &mentions, &own}, func() error {
		if hp := loaded[id]; hp != nil {
			hp.mentions = slices.Clone(mentions)
			hp.partial = int(own) != len(hp.post.Mentions) || (parentAuthor != 0 && hp.post.InReplyToAccountID == 0)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, _ = res.Query()
	var r hotReply
	var vis string
	_, err = pgx.ForEachRow(rows, []any{&id, &r.author, &vis, &r.group, &r.mentions}, func() error {
		if hp := loaded[id]; hp != nil {
			r.vis = ruche.Visibility(vis)
			r.mentions = slices.Clone(r.mentions)
			hp.replies = append(hp.replies, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.hot.keep(e, func() {
		trim(s.hot.posts, hotMaxPosts)
		for id, hp := range loaded {
			s.hot.posts[id] = hp
		}
	})
	for id, hp := range loaded {
		out[id] = hp
	}
	return out, nil
}
