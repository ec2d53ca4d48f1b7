package ruche

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxListTitleChars bounds a list's title.
const MaxListTitleChars = 100

// RepliesPolicy says which replies by a list's members its stream shows. A member's
// reply to their own post (a thread) is always shown.
type RepliesPolicy string

// The replies policies (Mastodon's names).
const (
	RepliesFollowed RepliesPolicy = "followed" // replies to people the list's owner follows, or to the owner
	RepliesList     RepliesPolicy = "list"     // replies to the list's members, or to its owner
	RepliesNone     RepliesPolicy = "none"     // no replies
)

// Valid reports whether r is one of the three.
func (r RepliesPolicy) Valid() bool {
	switch r {
	case RepliesFollowed, RepliesList, RepliesNone:
		return true
	}
	return false
}

// List is a member's list of people, whose posts make a stream (StreamList) for the
// list's owner alone.
type List struct {
	ID            int64
	Title         string
	RepliesPolicy RepliesPolicy
	// Exclusive asks clients to keep the list's posts out of the home stream. It is
	// stored for them; the home stream does not read it.
	Exclusive bool
}

// ListFields are what the owner writes about a list. An update replaces all of them:
// a front door that takes partial updates fills the rest from the list.
type ListFields struct {
	Title         string
	RepliesPolicy RepliesPolicy // "": RepliesList
	Exclusive     bool
}

// Normalize trims the title and defaults the policy, or says what is wrong
// (CodeInvalid).
func (f ListFields) Normalize() (ListFields, error) {
	f.Title = strings.TrimSpace(f.Title)
	if f.Title == "" || utf8.RuneCountInString(f.Title) > MaxListTitleChars {
		return f, Errorf(CodeInvalid, "error.list_title_invalid", MaxListTitleChars)
	}
	if f.RepliesPolicy == "" {
		f.RepliesPolicy = RepliesList
	}
	if !f.RepliesPolicy.Valid() {
		return f, Errorf(CodeInvalid, "error.replies_policy_invalid")
	}
	return f, nil
}

// PageBounds are the cursors of a page of a stream that is not ordered by post id (the
// favourites stream pages by like, the bookmarks stream by bookmark): Oldest is the
// next page's MaxID, Newest the previous page's MinID or SinceID. Both are 0 for an
// empty page.
type PageBounds struct {
	Newest, Oldest int64
}

// The timelines that have read markers.
const (
	MarkerHome          = "home"
	MarkerNotifications = "notifications"
)

// Marker is where a member stopped reading a timeline, saved so that their other
// devices can resume there.
type Marker struct {
	Timeline   string
	LastReadID int64
	Version    int // counts the saves: 1 after the first
	UpdatedAt  time.Time
}

// MaxIdempotencyKeyBytes bounds an idempotency key.
const MaxIdempotencyKeyBytes = 256

// idempotentCreateTimeout bounds the writing of a post under an idempotency key; it
// stays well inside the minute after which the store takes an unfinished claim for
// abandoned.
const idempotentCreateTimeout = 30 * time.Second

var errListNotFound = Errorf(CodeNotFound, "error.list_not_found")

// listNotFound maps the store's bare not-found to the list's message. Someone else's
// list is not found, never forbidden: lists are private. Other not-founds (a member's)
// keep their own message.
func listNotFound(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Code == CodeNotFound && e.Key == ErrNotFound.Key {
		return errListNotFound
	}
	return err
}

// Lists returns u's lists, by title.
func (ps *Posts) Lists(ctx context.Context, u User) ([]List, error) {
	return ps.Store.Lists(ctx, u.ID)
}

// List returns u's list id; CodeNotFound if u has no such list.
func (ps *Posts) List(ctx context.Context, u User, id int64) (List, error) {
	l, err := ps.Store.List(ctx, u.ID, id)
	return l, listNotFound(err)
}

// CreateList creates a list for u; CodeInvalid for a bad title or policy.
func (ps *Posts) CreateList(ctx context.Context, u User, f ListFields) (List, error) {
	f, err := f.Normalize()
	if err != nil {
		return List{}, err
	}
	return ps.Store.CreateList(ctx, u.ID, f)
}

// UpdateList replaces the fields of u's list id: CodeInvalid as CreateList,
// CodeNotFound if u has no such list.
func (ps *Posts) UpdateList(ctx context.Context, u User, id int64, f ListFields) (List, error) {
	f, err := f.Normalize()
	if err != nil {
		return List{}, err
	}
	l, err := ps.Store.UpdateList(ctx, u.ID, id, f)
	return l, listNotFound(err)
}

// DeleteList deletes u's list id; CodeNotFound if u has no such list.
func (ps *Posts) DeleteList(ctx context.Context, u User, id int64) error {
	return listNotFound(ps.Store.DeleteList(ctx, u.ID, id))
}

// ListAccounts returns a page of the members of u's list id, by account id, highest
// first (the page's bounds are account ids); CodeNotFound if u has no such list.
func (ps *Posts) ListAccounts(ctx context.Context, u User, id int64, p Page) ([]Author, error) {
	as, err := ps.Store.ListAccounts(ctx, u.ID, id, p.Normalize())
	return as, listNotFound(err)
}

// AddToList adds people to u's list id, all or none. CodeNotFound with
// error.list_not_found if u has no such list, with error.member_not_found if any of
// them is not a person of this instance u may know of (a guest knows only those who
// wrote to them).
func (ps *Posts) AddToList(ctx context.Context, u User, id int64, accountIDs []int64) error {
	return listNotFound(ps.Store.AddToList(ctx, ViewerOf(u), id, accountIDs))
}

// RemoveFromList removes people from u's list id (those not in it are ignored);
// CodeNotFound if u has no such list.
func (ps *Posts) RemoveFromList(ctx context.Context, u User, id int64, accountIDs []int64) error {
	return listNotFound(ps.Store.RemoveFromList(ctx, u.ID, id, accountIDs))
}

// ListsWith returns u's lists that hold accountID, by title.
func (ps *Posts) ListsWith(ctx context.Context, u User, accountID int64) ([]List, error) {
	return ps.Store.ListsWith(ctx, u.ID, accountID)
}

// ListTimeline returns a page of the stream of u's list id (as Timeline with
// StreamList), or CodeNotFound if u has no such list, where Timeline would return an
// empty page.
func (ps *Posts) ListTimeline(ctx context.Context, u User, id int64, p Page) ([]Post, error) {
	if _, err := ps.List(ctx, u, id); err != nil {
		return nil, err
	}
	return ps.Timeline(ctx, u, Stream{Kind: StreamList, AccountID: id}, p)
}

// Favourites returns a page of the posts u liked and may still see, newest like
// first, and its bounds: the stream pages by like id, which the posts do not carry.
func (ps *Posts) Favourites(ctx context.Context, u User, p Page) ([]Post, PageBounds, error) {
	return ps.Store.Favourites(ctx, ViewerOf(u), p.Normalize())
}

// Bookmarks returns a page of the posts u bookmarked and may still see, newest
// bookmark first, and its bounds: the stream pages by bookmark id, as Mastodon's does,
// so that a post bookmarked today comes first however old it is. (Timeline's
// StreamBookmarks is the same posts ordered and paged by post id.)
func (ps *Posts) Bookmarks(ctx context.Context, u User, p Page) ([]Post, PageBounds, error) {
	return ps.Store.Bookmarks(ctx, ViewerOf(u), p.Normalize())
}

func validMarker(timeline string) error {
	if timeline != MarkerHome && timeline != MarkerNotifications {
		return Errorf(CodeInvalid, "error.marker_timeline_invalid")
	}
	return nil
}

// Markers returns u's saved markers of the timelines named (MarkerHome,
// MarkerNotifications); a timeline never saved is absent. CodeInvalid for any other name.
func (ps *Posts) Markers(ctx context.Context, u User, timelines []string) (map[string]Marker, error) {
	for _, t := range timelines {
		if err := validMarker(t); err != nil {
			return nil, err
		}
	}
	if len(timelines) == 0 {
		return map[string]Marker{}, nil
	}
	return ps.Store.Markers(ctx, u.ID, timelines)
}

// SetMarker saves where u stopped reading timeline and returns the new marker, one
// version after the last. CodeInvalid for an unknown timeline or a negative id.
func (ps *Posts) SetMarker(ctx context.Context, u User, timeline string, lastReadID int64) (Marker, error) {
	if err := validMarker(timeline); err != nil {
		return Marker{}, err
	}
	if lastReadID < 0 {
		return Marker{}, Errorf(CodeInvalid, "error.number_invalid")
	}
	return ps.Store.SetMarker(ctx, u.ID, timeline, lastReadID)
}

// CreateIdempotent is Create, once per key: the same key from the same member within
// a day returns the post the first request wrote, as u sees it now, and writes
// nothing. An empty key is plain Create. CodeInvalid for a key longer than
// MaxIdempotencyKeyBytes; CodeConflict (error.post_in_progress) for a duplicate that
// arrives while the first request is still writing. A request that fails frees its
// key, so that a corrected request may use it.
func (ps *Posts) CreateIdempotent(ctx context.Context, u User, key string, n NewPost) (Post, error) {
	if key == "" {
		return ps.Create(ctx, u, n)
	}
	if len(key) > MaxIdempotencyKeyBytes {
		return Post{}, Errorf(CodeInvalid, "error.idempotency_key_too_long", MaxIdempotencyKeyBytes)
	}
	postID, claimed, err := ps.Store.ClaimIdempotencyKey(ctx, u.ID, key)
	if err != nil {
		return Post{}, err
	}
	if !claimed {
		if postID == 0 {
			return Post{}, Errorf(CodeConflict, "error.post_in_progress")
		}
		return ps.Post(ctx, u, postID)
	}
	// Idempotency keys exist for the client that gave up waiting and will ask again:
	// once claimed, the post is written even if this request is cancelled, so that the
	// retry finds it rather than a freed key. The store records the key in the
	// post's own transaction: had it been a later step, a crash between the two would
	// leave a claim without a post, which a retry after a minute would claim afresh
	// and post twice.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), idempotentCreateTimeout)
	defer cancel()
	p, err := ps.create(wctx, u, n, key)
	if err != nil {
		// Frees the key only if no post was recorded: the post may have been written
		// and only reading it back failed.
		if rerr := ps.Store.ReleaseIdempotencyKey(wctx, u.ID, key); rerr != nil {
			return Post{}, errors.Join(err, rerr)
		}
		return Post{}, err
	}
	return p, nil
}
