package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

const listColumns = `l.id, l.title, l.replies_policy, l.exclusive`

// listable says that account a may be on the list of viewer $viewer (role $role),
// and be shown among its members: a person (lists hold people, not groups) whom the
// viewer may know of, by the one rule every account read follows (knowable). It is
// checked when the list is read as well as when it is filled, because what the owner
// may know changes: a member is suspended, the owner is made a guest.
func listable(a string, viewer, role int) string {
	return fmt.Sprintf(`%s.kind = 'person' AND %s`, a, knowable(a, viewer, role))
}

// Lists returns ownerID's lists by title.
func (s *Store) Lists(ctx context.Context, ownerID int64) ([]ruche.List, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+listColumns+` FROM lists l WHERE l.account_id = $1 ORDER BY lower(l.title), l.id`, ownerID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ruche.List])
}

// List returns ownerID's list id; ErrNotFound if there is none (someone else's included).
func (s *Store) List(ctx context.Context, ownerID, id int64) (ruche.List, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+listColumns+` FROM lists l WHERE l.id = $1 AND l.account_id = $2`, id, ownerID)
	l, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[ruche.List])
	return l, interpret(err)
}

// CreateList stores a new list of ownerID's.
func (s *Store) CreateList(ctx context.Context, ownerID int64, f ruche.ListFields) (ruche.List, error) {
	rows, _ := s.pool.Query(ctx, `INSERT INTO lists AS l (account_id, title, replies_policy, exclusive) VALUES ($1, $2, $3, $4)
		RETURNING `+listColumns, ownerID, f.Title, f.RepliesPolicy, f.Exclusive)
	l, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[ruche.List])
	return l, interpret(err)
}

// UpdateList replaces the fields of ownerID's list id.
func (s *Store) UpdateList(ctx context.Context, ownerID, id int64, f ruche.ListFields) (ruche.List, error) {
	rows, _ := s.pool.Query(ctx, `UPDATE lists l SET title = $3, replies_policy = $4, exclusive = $5
		WHERE l.id = $1 AND l.account_id = $2 RETURNING `+listColumns, id, ownerID, f.Title, f.RepliesPolicy, f.Exclusive)
	l, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[ruche.List])
	return l, interpret(err)
}

// DeleteList deletes ownerID's list id and its memberships.
func (s *Store) DeleteList(ctx context.Context, ownerID, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM lists WHERE id = $1 AND account_id = $2`, id, ownerID)
	if err == nil && tag.RowsAffected() == 0 {
		return ruche.ErrNotFound
	}
	return err
}

// ownList checks in tx that ownerID owns list id, locks it against a concurrent
// delete (whose cascade would otherwise race with an insert of members), and returns
// the owner's role now, for whom they may know.
func ownList(ctx context.Context, tx pgx.Tx, ownerID, id int64) (ruche.Role, error) {
	var role ruche.Role
	err := tx.QueryRow(ctx, `SELECT u.role FROM lists l JOIN users u ON u.account_id = l.account_id
		WHERE l.id = $1 AND l.account_id = $2 FOR SHARE OF l`, id, ownerID).Scan(&role)
	return role, interpret(err)
}

// ListAccounts returns a page of the members of ownerID's list id, highest account id
// first. Members the owner may no longer know of (suspended since, or the owner made a
// guest) are left out, as they are of every other account read.
func (s *Store) ListAccounts(ctx context.Context, ownerID, id int64, pg ruche.Page) ([]ruche.Author, error) {
	var as []ruche.Author
	err := s.tx(ctx, func(tx pgx.Tx) error {
		role, err := ownList(ctx, tx, ownerID, id)
		if err != nil {
			return err
		}
		within, args, order := pageBounds(pg, 0, 4)
		rows, _ := tx.Query(ctx, `SELECT `+authorColumns("a")+`
			FROM list_members m JOIN accounts a ON a.id = m.account_id
			WHERE m.list_id = $1 AND `+listable("a", 2, 3)+` AND `+within("a.id")+fmt.Sprintf(` ORDER BY a.id %s LIMIT %d`, order, pg.Limit),
			append([]any{id, ownerID, string(role)}, args...)...)
		as, err = pgx.CollectRows(rows, scanAuthor)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(as, func(a, b ruche.Author) int { return cmp.Compare(b.ID, a.ID) })
	return as, nil
}

// errMemberNotFound answers for an account that is not a person one may know of.
var errMemberNotFound = ruche.Errorf(ruche.CodeNotFound, "error.member_not_found")

// AddToList adds the accounts to the viewer's list id, all or none.
func (s *Store) AddToList(ctx context.Context, v ruche.Viewer, id int64, accountIDs []int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := ownList(ctx, tx, v.ID, id); err != nil {
			return err
		}
		ids := slices.Clone(accountIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		tag, err := tx.Exec(ctx, `INSERT INTO list_members (list_id, account_id)
			SELECT $4, a.id FROM accounts a WHERE a.id = ANY($3) AND `+listable("a", 1, 2)+`
			ON CONFLICT DO NOTHING`, v.ID, string(v.Role), ids, id)
		if err != nil {
			return interpret(err)
		}
		if tag.RowsAffected() == int64(len(ids)) {
			return nil
		}
		// Some were members already, or are not to be had: count those that may be.
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM accounts a WHERE a.id = ANY($3) AND `+listable("a", 1, 2),
			v.ID, string(v.Role), ids).Scan(&n); err != nil {
			return err
		}
		if n != len(ids) {
			return errMemberNotFound // the transaction's inserts roll back
		}
		return nil
	})
}

// RemoveFromList removes the accounts from ownerID's list id.
func (s *Store) RemoveFromList(ctx context.Context, ownerID, id int64, accountIDs []int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := ownList(ctx, tx, ownerID, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM list_members WHERE list_id = $1 AND account_id = ANY($2)`, id, accountIDs)
		return err
	})
}

// ListsWith returns ownerID's lists that hold accountID, by title.
func (s *Store) ListsWith(ctx context.Context, ownerID, accountID int64) ([]ruche.List, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+listColumns+` FROM lists l JOIN list_members m ON m.list_id = l.id
		WHERE l.account_id = $1 AND m.account_id = $2 ORDER BY lower(l.title), l.id`, ownerID, accountID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ruche.List])
}

// listReplies keeps, of the posts q by members of list l owned by viewer $1, those
// the list's replies policy shows: every post that is not a reply, a member's reply to
// themselves (a thread), and, unless the policy is none, replies to the owner and to
// the list's members (list) or to people the owner follows (followed).
const listReplies = `(q.in_reply_to_id IS NULL OR q.in_reply_to_account_id = q.account_id
	OR (l.replies_policy <> 'none' AND q.in_reply_to_account_id = $1)
	OR (l.replies_policy = 'list' AND EXISTS (SELECT 1 FROM list_members lr
		WHERE lr.list_id = l.id AND lr.account_id = q.in_reply_to_account_id))
	OR (l.replies_policy = 'followed' AND EXISTS (SELECT 1 FROM follows lf
		WHERE lf.follower_id = $1 AND lf.followee_id = q.in_reply_to_account_id)))`

// listIDs selects the ids of a page of list $list's stream for its owner, viewer $1
// (role $2): each member's newest posts and boosts, gated as the home stream is,
// within the page's bounds, merged. Anyone but the owner gets none. Reading member by
// member (posts_account) suits lists, which are short; the caller gates the page again
// and keeps the limit.
func listIDs(within func(column string) string, order string, limit, list int) string {
	return fmt.Sprintf(`p.id IN (SELECT c.id FROM lists l JOIN list_members lm ON lm.list_id = l.id
		CROSS JOIN LATERAL (SELECT q.id FROM posts q WHERE q.account_id = lm.account_id AND %[1]s AND %[2]s AND %[3]s
			ORDER BY q.id %[4]s LIMIT %[5]d) c
		WHERE l.id = $%[6]d AND l.account_id = $1)`, gate("q", 1, 2), within("q.id"), listReplies, order, limit, list)
}

// Favourites returns a page of the posts the viewer liked and may still see, newest
// like first, and the page's first and last like ids. Like ids come from next_id, so
// the stream horizon holds for them as for posts.
func (s *Store) Favourites(ctx context.Context, v ruche.Viewer, pg ruche.Page) ([]ruche.Post, ruche.PageBounds, error) {
	return s.markedPosts(ctx, v, pg, "likes")
}

// Bookmarks returns a page of the posts the viewer bookmarked and may still see,
// newest bookmark first, and the page's first and last bookmark ids. Bookmark ids come
// from next_id and are written by named writers (SetBookmarked), so the stream
// horizon holds for them as for posts.
func (s *Store) Bookmarks(ctx context.Context, v ruche.Viewer, pg ruche.Page) ([]ruche.Post, ruche.PageBounds, error) {
	return s.markedPosts(ctx, v, pg, "bookmarks")
}

// markedPosts returns a page of the posts the viewer marked in table (likes or
// bookmarks: rows of account_id, post_id and their own id, indexed by account and id)
// and may still see, newest mark first, and the page's first and last mark ids.
func (s *Store) markedPosts(ctx context.Context, v ruche.Viewer, pg ruche.Page, table string) ([]ruche.Post, ruche.PageBounds, error) {
	var horizon int64
	if err := s.pool.QueryRow(ctx, horizonSQL).Scan(&horizon); err != nil {
		return nil, ruche.PageBounds{}, fmt.Errorf("stream horizon: %w", err)
	}
	within, args, order := pageBounds(pg, horizon, 3)
	rows, _ := s.pool.Query(ctx, `SELECT m.id, m.post_id FROM `+table+` m JOIN posts p ON p.id = m.post_id
		WHERE m.account_id = $1 AND `+within("m.id")+` AND `+gate("p", 1, 2)+
		fmt.Sprintf(` ORDER BY m.id %s LIMIT %d`, order, pg.Limit), append([]any{v.ID, string(v.Role)}, args...)...)
	type mark struct{ ID, PostID int64 }
	marks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[mark])
	if err != nil {
		return nil, ruche.PageBounds{}, err
	}
	if len(marks) == 0 {
		return []ruche.Post{}, ruche.PageBounds{}, nil
	}
	markOf := map[int64]int64{}
	ids := make([]int64, 0, len(marks))
	bounds := ruche.PageBounds{Newest: marks[0].ID, Oldest: marks[0].ID}
	for _, m := range marks {
		markOf[m.PostID] = m.ID
		ids = append(ids, m.PostID)
		bounds.Newest, bounds.Oldest = max(bounds.Newest, m.ID), min(bounds.Oldest, m.ID)
	}
	posts, err := s.queryPosts(ctx, v, postsByID, ids)
	if err != nil {
		return nil, ruche.PageBounds{}, err
	}
	slices.SortFunc(posts, func(a, b ruche.Post) int { return cmp.Compare(markOf[b.ID], markOf[a.ID]) })
	return posts, bounds, nil
}

// Markers returns accountID's saved markers among timelines.
func (s *Store) Markers(ctx context.Context, accountID int64, timelines []string) (map[string]ruche.Marker, error) {
	rows, _ := s.pool.Query(ctx, `SELECT timeline, last_read_id, version, updated_at FROM markers
		WHERE account_id = $1 AND timeline = ANY($2)`, accountID, timelines)
	ms, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ruche.Marker])
	if err != nil {
		return nil, err
	}
	out := make(map[string]ruche.Marker, len(ms))
	for _, m := range ms {
		out[m.Timeline] = m
	}
	return out, nil
}

// SetMarker saves accountID's position in timeline, one version after the last.
func (s *Store) SetMarker(ctx context.Context, accountID int64, timeline string, lastReadID int64) (ruche.Marker, error) {
	rows, _ := s.pool.Query(ctx, `INSERT INTO markers (account_id, timeline, last_read_id) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, timeline) DO UPDATE
		SET last_read_id = excluded.last_read_id, version = markers.version + 1, updated_at = now()
		RETURNING timeline, last_read_id, version, updated_at`, accountID, timeline, lastReadID)
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[ruche.Marker])
	return m, interpret(err)
}

// ClaimIdempotencyKey claims key for accountID's next post, or returns the post
// already written under it (0 while it is being written). The claim is its own
// transaction, committed at once, so that a concurrent duplicate sees it; CreatePost
// records the post under it in the post's transaction.
//
// A key older than a day is claimed afresh, as is a claim without a post after a
// minute: the request that made it died before its post committed (a post and its
// record commit together, so a claim without a post has none).
func (s *Store) ClaimIdempotencyKey(ctx context.Context, accountID int64, key string) (int64, bool, error) {
	// The loop runs again only when the claim it saw was released between the two
	// statements; a few rounds are plenty.
	for range 5 {
		var claimed bool
		err := s.pool.QueryRow(ctx, `INSERT INTO idempotency_keys AS k (account_id, key) VALUES ($1, $2)
			ON CONFLICT (account_id, key) DO UPDATE SET post_id = NULL, created_at = now()
			WHERE k.created_at < now() - interval '1 day' OR (k.post_id IS NULL AND k.created_at < now() - interval '1 minute')
			RETURNING true`, accountID, key).Scan(&claimed)
		if err == nil {
			return 0, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, false, interpret(err)
		}
		var postID *int64
		err = s.pool.QueryRow(ctx, `SELECT post_id FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
			accountID, key).Scan(&postID)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil || postID == nil {
			return 0, false, err
		}
		return *postID, false, nil
	}
	return 0, false, nil // a key claimed and released over and over: in progress, for now
}

// ReleaseIdempotencyKey forgets accountID's claim of key, if no post was recorded.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, accountID int64, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND post_id IS NULL`,
		accountID, key)
	return err
}
