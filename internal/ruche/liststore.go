package ruche

import "context"

// ListStore is what lists, favourites, markers and idempotent posting need from
// persistence (the client API's words for them). Reads of posts apply the gate in SQL.
type ListStore interface {
	// Lists returns ownerID's lists by title.
	Lists(ctx context.Context, ownerID int64) ([]List, error)
	// List returns list id if ownerID owns it; ErrNotFound otherwise, whether or not
	// it is someone else's.
	List(ctx context.Context, ownerID, id int64) (List, error)
	// CreateList stores a list of valid fields (see ListFields.Normalize).
	CreateList(ctx context.Context, ownerID int64, f ListFields) (List, error)
	// UpdateList replaces the fields of ownerID's list id; ErrNotFound as List.
	UpdateList(ctx context.Context, ownerID, id int64, f ListFields) (List, error)
	// DeleteList deletes ownerID's list id; ErrNotFound as List.
	DeleteList(ctx context.Context, ownerID, id int64) error
	// ListAccounts returns a page of the members of ownerID's list id, bounded and
	// ordered by account id, highest first; ErrNotFound as List.
	ListAccounts(ctx context.Context, ownerID, id int64, p Page) ([]Author, error)
	// AddToList adds the accounts to viewer's list id, all or none: ErrNotFound (the
	// bare sentinel) when the list is not the viewer's, and a not-found keyed
	// error.member_not_found when any account is not a person of this instance the
	// viewer may know of (the rule of AccountByUsername). Adding a member twice is a
	// no-op.
	AddToList(ctx context.Context, viewer Viewer, id int64, accountIDs []int64) error
	// RemoveFromList removes the accounts from ownerID's list id (those not in it are
	// ignored); ErrNotFound as List.
	RemoveFromList(ctx context.Context, ownerID, id int64, accountIDs []int64) error
	// ListsWith returns ownerID's lists that hold accountID, by title.
	ListsWith(ctx context.Context, ownerID, accountID int64) ([]List, error)

	// Favourites returns a page of the posts viewer liked and may still see, newest
	// like first, with the page's like ids (the stream's bounds). Timeline's
	// StreamFavourites is the same page without them.
	Favourites(ctx context.Context, viewer Viewer, p Page) ([]Post, PageBounds, error)
	// Bookmarks returns a page of the posts viewer bookmarked and may still see,
	// newest bookmark first, with the page's bookmark ids (the stream's bounds).
	// Timeline's StreamBookmarks is ordered and paged by post id instead.
	Bookmarks(ctx context.Context, viewer Viewer, p Page) ([]Post, PageBounds, error)

	// Markers returns accountID's saved markers among timelines; one never saved is
	// absent from the map.
	Markers(ctx context.Context, accountID int64, timelines []string) (map[string]Marker, error)
	// SetMarker saves accountID's position in a timeline (MarkerHome or
	// MarkerNotifications), one version after the last.
	SetMarker(ctx context.Context, accountID int64, timeline string, lastReadID int64) (Marker, error)

	// ClaimIdempotencyKey claims key for accountID's next post and commits the claim.
	// claimed: the caller writes the post with the key in its draft, which records it
	// in the post's own transaction (see PostDraft.IdempotencyKey), or calls
	// ReleaseIdempotencyKey if writing failed. Otherwise postID is the post that an
	// earlier request wrote with the key within the last day, or 0 while that request
	// is still writing it. A claim still without a post after a minute is taken as
	// abandoned (its request died before writing) and may be claimed again.
	ClaimIdempotencyKey(ctx context.Context, accountID int64, key string) (postID int64, claimed bool, err error)
	// ReleaseIdempotencyKey gives up a claim whose post was not written, so that the
	// key may be used again. A key with a post is kept.
	ReleaseIdempotencyKey(ctx context.Context, accountID int64, key string) error
}
