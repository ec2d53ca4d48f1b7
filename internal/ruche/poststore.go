package ruche

import (
	"context"
	"time"
)

// PostStore is what the posts use cases need from persistence. Every method that
// returns posts applies the visibility gate for the viewer in its SQL (the same rule as
// CanSee); a post the viewer may not see is ErrNotFound, never an error that says it exists.
type PostStore interface {
	ListStore
	SocialStore

	// Group returns a group with the viewer's standing in it (see GroupStore).
	Group(ctx context.Context, viewer Viewer, handle string) (Group, error)
	// MediaToAttach returns accountID's uploads ids, in that order; ErrNotFound if one
	// is not theirs.
	MediaToAttach(ctx context.Context, accountID int64, ids []int64) ([]MediaRecord, error)
	// Membership returns accountID's standing in the group (see GroupStore).
	Membership(ctx context.Context, groupID, accountID int64) (GroupMembership, error)
	// AccountByUsername returns a local person's author card; ErrNotFound if none, or
	// if viewer is a guest who has no conversation with it (guests may not discover
	// who works at the company).
	AccountByUsername(ctx context.Context, viewer Viewer, username string) (Author, error)
	// Access returns the facts the rules need about viewer and post id (a boost's
	// facts are its original's). ErrNotFound when no such post exists.
	Access(ctx context.Context, viewer Viewer, id int64) (PostFacts, error)

	CreatePost(ctx context.Context, d PostDraft) (int64, error)
	// EditPost keeps the previous version in the edit history, then replaces the text,
	// mentions and tags, notifying newly mentioned members.
	EditPost(ctx context.Context, id int64, d PostDraft) error
	// DeletePost deletes the post, its boosts, likes and notifications, and leaves a tombstone.
	DeletePost(ctx context.Context, id int64) error
	// Boost creates the viewer's boost of a post (once) and returns its id.
	Boost(ctx context.Context, accountID, postID int64) (int64, error)
	Unboost(ctx context.Context, accountID, postID int64) error
	SetLiked(ctx context.Context, accountID, postID int64, liked bool) error
	SetBookmarked(ctx context.Context, accountID, postID int64, bookmarked bool) error

	// Post returns one post as viewer sees it.
	Post(ctx context.Context, viewer Viewer, id int64) (Post, error)
	// Timeline returns a page of a stream, newest first, gated for viewer.
	Timeline(ctx context.Context, viewer Viewer, s Stream, p Page) ([]Post, error)
	// Thread returns the visible ancestors (oldest first) and descendants (in reply order) of id.
	Thread(ctx context.Context, viewer Viewer, id int64) (ancestors, descendants []Post, err error)
	// Edits returns the earlier versions of a post the viewer may see, oldest first.
	Edits(ctx context.Context, viewer Viewer, id int64) ([]PostEdit, error)
	// UpcomingEvents returns posts with events that have not ended, soonest first.
	UpcomingEvents(ctx context.Context, viewer Viewer, now time.Time, limit int) ([]Post, error)

	SetFollowing(ctx context.Context, followerID, followeeID int64, follow bool) error
	Profile(ctx context.Context, viewer Viewer, username string) (Profile, error)
	UpdateProfile(ctx context.Context, accountID int64, p ProfileFields) error
	SetPresence(ctx context.Context, accountID int64, p Presence) error
	// Directory searches members by name, title and department ("" lists everyone).
	Directory(ctx context.Context, query string, limit int) ([]Profile, error)

	Notifications(ctx context.Context, viewer Viewer, p Page) ([]Notification, error)
	UnreadNotifications(ctx context.Context, viewer Viewer) (int, error)
	MarkNotificationsRead(ctx context.Context, accountID int64) error
}

// PostFacts is what the visibility and interaction rules need about one post.
type PostFacts struct {
	ID         int64 // the post itself (the original, for a boost)
	AuthorID   int64
	GroupID    int64 // the group of a group post
	Visibility Visibility
	Relation   Relation
}

// PostDraft is a post ready to store: rendered, its mentions resolved.
type PostDraft struct {
	AuthorID           int64
	Visibility         Visibility
	GroupID            int64 // set exactly when Visibility is VisGroup
	InReplyToID        int64
	InReplyToAccountID int64
	Source             string
	HTML               string
	SpoilerText        string
	Event              *Event
	MentionIDs         []int64
	Tags               []string
	// IdempotencyKey, when set, is the author's claimed key (ClaimIdempotencyKey):
	// CreatePost records the new post under it in the same transaction, and fails
	// with CodeConflict, writing nothing, if the key is not claimed and free. Writing
	// and recording at once leaves no moment where a crash loses the record and a
	// later retry posts twice. EditPost ignores it.
	IdempotencyKey string
	// APID is the ActivityPub id of a post that came from a partner: a second copy of it
	// is refused (ErrConflict) rather than stored twice.
	APID string
	// MediaIDs, for CreatePost, are uploads to attach, in order: the author's, ready
	// and unattached, or the post is not made (CodeInvalid).
	MediaIDs []int64
	// CardURL is the link whose preview the post shows ("" for none); a new one is
	// fetched in the background.
	CardURL string
	// EditedAt, for EditPost, is when a partner's post was edited there (nil: now).
	// An edit older than the one stored is ignored: edits may arrive out of order.
	EditedAt *time.Time
}

// PostEdit is an earlier version of a post.
type PostEdit struct {
	Source      string
	HTML        string
	SpoilerText string
	CreatedAt   time.Time
}

// StreamKind names a stream.
type StreamKind string

// The streams.
const (
	StreamHome      StreamKind = "home"
	StreamCompany   StreamKind = "company"
	StreamProfile   StreamKind = "profile"
	StreamTag       StreamKind = "tag"
	StreamBookmarks StreamKind = "bookmarks"
	StreamGroup     StreamKind = "group"
	// StreamList is the posts and boosts of a list's members, for the list's owner
	// only (anyone else gets an empty stream).
	StreamList StreamKind = "list"
	// StreamFavourites is the posts the viewer liked, newest like first; its pages
	// are bounded by the likes' ids, not the posts' (see Posts.Favourites).
	StreamFavourites StreamKind = "favourites"
)

// Stream is one stream: its kind and, for profiles, tags, groups and lists, which one.
type Stream struct {
	Kind      StreamKind
	AccountID int64  // StreamProfile; StreamGroup: the group's id; StreamList: the list's id
	Tag       string // StreamTag, normalized
}

// Profile is a member's page.
type Profile struct {
	Author
	ProfileFields
	Role             Role
	CreatedAt        time.Time
	Posts            int
	Followers        int
	Following        int
	FollowedByViewer bool
	Header           int64 // the upload that is their header image; 0: none
}

// ProfileFields are what members write about themselves.
type ProfileFields struct {
	DisplayName string
	JobTitle    string
	Department  string
	Location    string
	Bio         string
}

// NotificationKind is what happened.
type NotificationKind string

// The notification kinds.
const (
	NotifyMention NotificationKind = "mention"
	NotifyReply   NotificationKind = "reply"
	NotifyLike    NotificationKind = "like"
	NotifyBoost   NotificationKind = "boost"
	NotifyFollow  NotificationKind = "follow"

	NotifyGroupRequest  NotificationKind = "group_request"  // to moderators: someone asks to join
	NotifyGroupApproved NotificationKind = "group_approved" // to the person let in
	NotifyGroupInvite   NotificationKind = "group_invite"   // to the person invited
	NotifyGroupRejected NotificationKind = "group_rejected" // to the person turned down
	NotifyGroupPost     NotificationKind = "group_post"     // to members who asked: a new post in the group
)

// Notification tells a member that someone did something that concerns them.
type Notification struct {
	ID        int64
	Kind      NotificationKind
	From      Author
	Post      *Post     // nil for follows, and for a post the member may no longer see
	Group     *GroupRef // the group of a group notification
	CreatedAt time.Time
	Read      bool
}
