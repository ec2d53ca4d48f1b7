package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Channels of PostgreSQL NOTIFY, sent in the transaction of the change so listeners on
// every node hear of it exactly when it commits.
const (
	channelPosts         = "ruche_posts"
	channelNotifications = "ruche_notifications"
)

// writeTimeout starts every transaction that writes rows a stream pages by id (posts,
// boosts, likes, bookmarks, notifications): it bounds it far inside the stream horizon's ten seconds, and names
// it (application_name, visible to every session at once in pg_stat_activity) so that
// the horizon waits for those writers only, not for every short transaction of the job
// queue (see horizonSQL).
const writeTimeout = `SELECT set_config('statement_timeout', '4s', true), set_config('application_name', '` + postWriter + `', true)`

// postWriter is the application_name of a transaction that may insert rows paged by
// id under the stream horizon.
const postWriter = "ruche:writing-posts"

// AccountByUsername returns the author card of the person with handle: "user" names a
// local account, "user@domain" one of a partner instance (case does not matter). A guest
// finds only the local accounts that addressed them, so that guests cannot probe who
// works here; anyone finds a partner's account only through the groups they share with
// it (knowableRemote).
func (s *Store) AccountByUsername(ctx context.Context, v ruche.Viewer, handle string) (ruche.Author, error) {
	username, domain, ok := ruche.SplitHandle(handle)
	if !ok {
		return ruche.Author{}, ruche.ErrNotFound
	}
	var a ruche.Author
	// A guest knows the people whose posts they can see (who wrote to them, or in their
	// groups): the same rule as knowable. The match on both columns is the unique
	// index's, so that a local "zoe" and "zoe@hub.example" never stand for each other.
	err := s.pool.QueryRow(ctx, `SELECT `+authorColumns("a")+` FROM accounts a
		WHERE lower(a.username) = $1 AND coalesce(lower(a.domain), '') = $4 AND a.kind = 'person'
		AND CASE WHEN a.domain IS NULL
			THEN $3::text <> 'guest' OR a.id = $2 OR EXISTS (SELECT 1 FROM posts p WHERE p.account_id = a.id AND `+gate("p", 2, 3)+`)
			ELSE `+knowableRemote("a", 2, 3)+` END`, username, v.ID, string(v.Role), domain).
		Scan(authorDest(&a)...)
	return a, interpret(err)
}

// Access returns the rule's facts about viewer and post id (a boost's are its original's).
func (s *Store) Access(ctx context.Context, v ruche.Viewer, id int64) (ruche.PostFacts, error) {
	var f ruche.PostFacts
	err := s.pool.QueryRow(ctx, `SELECT o.id, o.account_id, o.visibility, coalesce(o.group_id, 0),
			o.account_id = $2,
			EXISTS (SELECT 1 FROM follows WHERE follower_id = $2 AND followee_id = o.account_id),
			EXISTS (SELECT 1 FROM mentions WHERE post_id = o.id AND account_id = $2),
			EXISTS (SELECT 1 FROM group_members WHERE group_id = o.group_id AND account_id = $2 AND state = 'member')
		FROM posts p JOIN posts o ON o.id = coalesce(p.reblog_of_id, p.id) WHERE p.id = $1`, id, v.ID).
		Scan(&f.ID, &f.AuthorID, &f.Visibility, &f.GroupID, &f.Relation.Author, &f.Relation.Follower, &f.Relation.Mentioned,
			&f.Relation.GroupMember)
	f.Relation.Guest = v.Role == ruche.RoleGuest
	f.Relation.Admin = v.Role == ruche.RoleAdmin
	return f, interpret(err)
}

// CreatePost stores a post with its mentions and tags and notifies the people it
// concerns, in one transaction.
func (s *Store) CreatePost(ctx context.Context, d ruche.PostDraft) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, writeTimeout); err != nil {
			return err
		}
		var title, place *string
		var start, end any
		if e := d.Event; e != nil {
			title, place, start, end = &e.Title, &e.Place, e.Start, e.End
		}
		var apID *string
		if d.APID != "" {
			apID = &d.APID
			// Deleted meanwhile (its Delete overtook it): not stored.
			if err := lockAPID(ctx, tx, d.APID); err != nil {
				return err
			}
			var gone bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ap_tombstones WHERE ap_id = $1 AND group_id IN (0, $2::bigint))`,
				d.APID, d.GroupID).Scan(&gone); err != nil || gone {
				return cmpConflict(err, gone)
			}
		}
		err := tx.QueryRow(ctx, `INSERT INTO posts (account_id, visibility, in_reply_to_id, in_reply_to_account_id,
				source, html, spoiler_text, event_title, event_start, event_end, event_place, group_id, ap_id, card_url)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, nullif($14, '')) RETURNING id`,
			d.AuthorID, d.Visibility, nullID(d.InReplyToID), nullID(d.InReplyToAccountID),
			d.Source, d.HTML, d.SpoilerText, title, start, end, place, nullID(d.GroupID), apID, d.CardURL).Scan(&id)
		if err != nil {
			return interpret(err)
		}
		if err := s.wantCard(ctx, tx, d.CardURL); err != nil {
			return err
		}
		if err := recordIdempotentPost(ctx, tx, d, id); err != nil {
			return err
		}
		if err := attachMedia(ctx, tx, id, d.AuthorID, d.MediaIDs); err != nil {
			return err
		}
		if err := setMentionsAndTags(ctx, tx, id, d); err != nil {
			return err
		}
		for _, m := range d.MentionIDs {
			kind := ruche.NotifyMention
			if m == d.InReplyToAccountID {
				kind = ruche.NotifyReply
			}
			if err := notify(ctx, tx, m, kind, d.AuthorID, id); err != nil {
				return err
			}
		}
		if d.GroupID != 0 && d.InReplyToID == 0 {
			// Members who asked to hear of every new post in the group.
			if _, err := tx.Exec(ctx, `WITH n AS (INSERT INTO notifications (account_id, kind, from_id, post_id, group_id)
					SELECT account_id, 'group_post', $2, $3, $1 FROM group_members
					WHERE group_id = $1 AND state = 'member' AND notify AND account_id <> $2
					ON CONFLICT DO NOTHING RETURNING account_id)
				SELECT pg_notify($4, account_id::text) FROM n`, d.GroupID, d.AuthorID, id, channelNotifications); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2::bigint::text)`, channelPosts, id)
		return err
	})
	return id, err
}

// errKeyNotClaimed fails a post whose idempotency key is no longer claimed and free:
// another request has written a post under it, or it was released.
var errKeyNotClaimed = ruche.Errorf(ruche.CodeConflict, "error.post_in_progress")

// recordIdempotentPost records post id under the author's claimed idempotency key, if
// the draft has one, in the post's transaction: the post and its record commit
// together or not at all. A key not claimed and free fails the transaction.
func recordIdempotentPost(ctx context.Context, tx pgx.Tx, d ruche.PostDraft, id int64) error {
	if d.IdempotencyKey == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, `UPDATE idempotency_keys SET post_id = $3 WHERE account_id = $1 AND key = $2 AND post_id IS NULL`,
		d.AuthorID, d.IdempotencyKey, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errKeyNotClaimed
	}
	return nil
}

// setMentionsAndTags replaces the mentions and tags of post id.
func setMentionsAndTags(ctx context.Context, tx pgx.Tx, id int64, d ruche.PostDraft) error {
	if _, err := tx.Exec(ctx, `DELETE FROM mentions WHERE post_id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM post_tags WHERE post_id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO mentions (post_id, account_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`,
		id, d.MentionIDs); err != nil {
		return err
	}
	if len(d.Tags) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`, d.Tags); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO post_tags (post_id, tag_id) SELECT $1, id FROM tags WHERE name = ANY($2) ON CONFLICT DO NOTHING`,
		id, d.Tags)
	return err
}

// notify records a notification (once per what, who and post) and wakes the
// recipient's live streams. Nobody is notified of their own acts.
func notify(ctx context.Context, tx pgx.Tx, to int64, kind ruche.NotificationKind, from, postID int64) error {
	if to == from || to == 0 {
		return nil
	}
	// A partner's person is told by their own instance, which hears of the same event.
	tag, err := tx.Exec(ctx, `INSERT INTO notifications (account_id, kind, from_id, post_id)
		SELECT $1, $2, $3, $4 FROM accounts WHERE id = $1 AND domain IS NULL
		ON CONFLICT DO NOTHING`, to, kind, from, nullID(postID))
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2::bigint::text)`, channelNotifications, to)
	return err
}

// cmpConflict is err, or ErrConflict when gone.
func cmpConflict(err error, gone bool) error {
	if err == nil && gone {
		return ruche.ErrConflict
	}
	return err
}

// EditPost keeps the old version, then replaces text, mentions and tags.
func (s *Store) EditPost(ctx context.Context, id int64, d ruche.PostDraft) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, writeTimeout); err != nil {
			return err
		}
		if d.EditedAt != nil {
			// An older edit arriving late changes nothing, nor does the same one twice.
			var stale bool
			err := tx.QueryRow(ctx, `SELECT coalesce(edited_at > $2 OR (edited_at = $2 AND source = $3 AND spoiler_text = $4), false)
				FROM posts WHERE id = $1 FOR UPDATE`, id, *d.EditedAt, d.Source, d.SpoilerText).Scan(&stale)
			if err != nil || stale {
				return interpret(err)
			}
		}
		var before []int64
		err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(account_id), '{}') FROM mentions WHERE post_id = $1`, id).Scan(&before)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO post_edits (post_id, source, html, spoiler_text, created_at)
			SELECT id, source, html, spoiler_text, coalesce(edited_at, created_at) FROM posts WHERE id = $1 AND reblog_of_id IS NULL`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ruche.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `UPDATE posts SET source = $2, html = $3, spoiler_text = $4, edited_at = coalesce($5, now()),
				card_url = nullif($6, '') WHERE id = $1`,
			id, d.Source, d.HTML, d.SpoilerText, d.EditedAt, d.CardURL); err != nil {
			return interpret(err)
		}
		if err := s.wantCard(ctx, tx, d.CardURL); err != nil {
			return err
		}
		if err := setMentionsAndTags(ctx, tx, id, d); err != nil {
			return err
		}
		// Whoever is no longer mentioned loses the notification with the mention.
		if _, err := tx.Exec(ctx, `DELETE FROM notifications WHERE post_id = $1 AND kind IN ('mention', 'reply')
			AND NOT account_id = ANY($2::bigint[])`, id, d.MentionIDs); err != nil {
			return err
		}
		known := map[int64]bool{}
		for _, m := range before {
			known[m] = true
		}
		for _, m := range d.MentionIDs {
			if !known[m] {
				if err := notify(ctx, tx, m, ruche.NotifyMention, d.AuthorID, id); err != nil {
					return err
				}
			}
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2::bigint::text)`, channelPosts, id)
		return err
	})
}

// DeletePost deletes a post (its boosts, likes, mentions and notifications go with
// it) and leaves a tombstone.
func (s *Store) DeletePost(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var author int64
		err := tx.QueryRow(ctx, `DELETE FROM posts WHERE id = $1 AND reblog_of_id IS NULL RETURNING account_id`, id).Scan(&author)
		if err != nil {
			return interpret(err)
		}
		if _, err = tx.Exec(ctx, `INSERT INTO tombstones (id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, author); err != nil {
			return err
		}
		// Streams that showed the post (or a boost of it) announce the deletion.
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2::bigint::text)`, channelPosts, id)
		return err
	})
}

// Boost creates accountID's boost of postID, once; boosting twice returns the first.
func (s *Store) Boost(ctx context.Context, accountID, postID int64) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, writeTimeout); err != nil {
			return err
		}
		var author int64
		var vis string
		var group *int64
		if err := tx.QueryRow(ctx, `SELECT account_id, visibility, group_id FROM posts WHERE id = $1 AND reblog_of_id IS NULL`, postID).
			Scan(&author, &vis, &group); err != nil {
			return interpret(err)
		}
		// A group post's boost is in its group: the gate shows it to the members alone.
		err := tx.QueryRow(ctx, `INSERT INTO posts (account_id, visibility, reblog_of_id, group_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL DO NOTHING RETURNING id`, accountID, vis, postID, group).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return tx.QueryRow(ctx, `SELECT id FROM posts WHERE account_id = $1 AND reblog_of_id = $2`, accountID, postID).Scan(&id)
		}
		if err != nil {
			return err
		}
		if err := notify(ctx, tx, author, ruche.NotifyBoost, accountID, postID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2::bigint::text)`, channelPosts, id)
		return err
	})
	return id, err
}

// Unboost removes accountID's boost of postID, if any, and its notification.
func (s *Store) Unboost(ctx context.Context, accountID, postID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		// Streams that showed the boost announce its deletion.
		if _, err := tx.Exec(ctx, `WITH gone AS (DELETE FROM posts WHERE account_id = $1 AND reblog_of_id = $2 RETURNING id)
			SELECT pg_notify($3, id::text) FROM gone`, accountID, postID, channelPosts); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM notifications WHERE from_id = $1 AND post_id = $2 AND kind = 'boost'`, accountID, postID)
		return err
	})
}

// SetLiked likes (notifying the author) or unlikes a post.
func (s *Store) SetLiked(ctx context.Context, accountID, postID int64, liked bool) error {
	if !liked {
		return s.tx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM likes WHERE account_id = $1 AND post_id = $2`, accountID, postID); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `DELETE FROM notifications WHERE from_id = $1 AND post_id = $2 AND kind = 'like'`, accountID, postID)
			return err
		})
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		// The favourites stream pages by like id under the same horizon as posts.
		if _, err := tx.Exec(ctx, writeTimeout); err != nil {
			return err
		}
		var author int64
		err := tx.QueryRow(ctx, `INSERT INTO likes (post_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
			RETURNING (SELECT account_id FROM posts WHERE id = $1)`, postID, accountID).Scan(&author)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // already liked
		}
		if err != nil {
			return interpret(err)
		}
		return notify(ctx, tx, author, ruche.NotifyLike, accountID, postID)
	})
}

// SetBookmarked bookmarks or forgets a post.
func (s *Store) SetBookmarked(ctx context.Context, accountID, postID int64, on bool) error {
	if !on {
		_, err := s.pool.Exec(ctx, `DELETE FROM bookmarks WHERE account_id = $1 AND post_id = $2`, accountID, postID)
		return err
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		// The bookmarks stream pages by bookmark id under the same horizon as posts.
		if _, err := tx.Exec(ctx, writeTimeout); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO bookmarks (account_id, post_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, accountID, postID)
		return interpret(err)
	})
}

// SetFollowing follows (notifying the followee) or unfollows.
func (s *Store) SetFollowing(ctx context.Context, followerID, followeeID int64, follow bool) error {
	if !follow {
		_, err := s.pool.Exec(ctx, `DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2`, followerID, followeeID)
		return err
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		// Notifications page by id under the stream horizon too.
		if _, err := tx.Exec(ctx, writeTimeout); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, followerID, followeeID)
		if err != nil || tag.RowsAffected() == 0 {
			return interpret(err)
		}
		return notify(ctx, tx, followeeID, ruche.NotifyFollow, followerID, 0)
	})
}

// Edits returns the earlier versions of a post the viewer may see, oldest first.
func (s *Store) Edits(ctx context.Context, v ruche.Viewer, id int64) ([]ruche.PostEdit, error) {
	rows, _ := s.pool.Query(ctx, `SELECT e.source, e.html, e.spoiler_text, e.created_at FROM post_edits e
		JOIN posts p ON p.id = e.post_id WHERE e.post_id = $3 AND `+gate("p", 1, 2)+` ORDER BY e.id`,
		v.ID, string(v.Role), id)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ruche.PostEdit])
}
