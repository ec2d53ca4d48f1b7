package ruche

import "context"

// SocialStore is what the client API's reads of people and notifications need from
// persistence: accounts by id, followers, relationships, who liked or boosted a post,
// notification filters, conversations and search. Reads of posts apply the gate in SQL.
//
// Every method that returns accounts returns only those the viewer may know: people
// not suspended (a guest knows only themself and those who wrote to them, as
// AccountByUsername) and groups the viewer may know exist (mayKnow, stated again in SQL).
// Lists are ordered by the id of the entry that put each account there (Account.PageID).
type SocialStore interface {
	// AccountsByID returns the accounts among ids that viewer may know, in no
	// particular order; the others are left out.
	AccountsByID(ctx context.Context, viewer Viewer, ids []int64) ([]Account, error)
	// AccountByHandle returns the local person with username handle or the group with
	// that handle; ErrNotFound when none that viewer may know.
	AccountByHandle(ctx context.Context, viewer Viewer, handle string) (Account, error)
	// Followers lists who follows accountID, newest follow first; for a group, its
	// members, newest first. The caller decides whether viewer may see the list.
	Followers(ctx context.Context, viewer Viewer, accountID int64, p Page) ([]Account, error)
	// Following lists whom accountID follows, newest follow first.
	Following(ctx context.Context, viewer Viewer, accountID int64, p Page) ([]Account, error)
	// Relationships returns viewer's relationship to each account among ids that
	// viewer may know, in no particular order.
	Relationships(ctx context.Context, viewer Viewer, ids []int64) ([]Relationship, error)
	// FavouritedBy lists who liked postID, newest like first; nothing when viewer may
	// not see the post.
	FavouritedBy(ctx context.Context, viewer Viewer, postID int64, p Page) ([]Account, error)
	// RebloggedBy lists who boosted postID, newest boost first; nothing when viewer may
	// not see the post.
	RebloggedBy(ctx context.Context, viewer Viewer, postID int64, p Page) ([]Account, error)

	// NotificationsFiltered returns a page of viewer's notifications that match f,
	// newest first, leaving out those about posts viewer may no longer see.
	NotificationsFiltered(ctx context.Context, viewer Viewer, p Page, f NotificationFilter) ([]Notification, error)
	// CountNotifications counts viewer's notifications that match f with ids above
	// sinceID, at most limit, leaving out those NotificationsFiltered leaves out.
	CountNotifications(ctx context.Context, viewer Viewer, sinceID int64, f NotificationFilter, limit int) (int, error)
	// Notification returns one of viewer's notifications; ErrNotFound for another's,
	// and for one about a post viewer may no longer see.
	Notification(ctx context.Context, viewer Viewer, id int64) (Notification, error)
	// DismissNotification deletes one of viewer's notifications (ErrNotFound as for
	// Notification).
	DismissNotification(ctx context.Context, viewer Viewer, id int64) error
	// ClearNotifications deletes all of accountID's notifications.
	ClearNotifications(ctx context.Context, accountID int64) error

	// Conversations returns a page of viewer's conversations of direct posts that are
	// not hidden, the newest last post first; Page bounds apply to the last post's id.
	Conversations(ctx context.Context, viewer Viewer, p Page) ([]Conversation, error)
	// MarkConversationRead marks the conversation with root id read up to its last
	// post; ErrNotFound when viewer has no such conversation.
	MarkConversationRead(ctx context.Context, viewer Viewer, id int64) error
	// HideConversation hides the conversation with root id until a newer post arrives
	// in it; ErrNotFound when viewer has no such conversation.
	HideConversation(ctx context.Context, viewer Viewer, id int64) error

	// SearchAccounts finds people and groups viewer may know whose username, handle,
	// name, job title or department contains query (lower-case): exact usernames
	// first, then those starting with query, then by name.
	SearchAccounts(ctx context.Context, viewer Viewer, query string, limit int) ([]Account, error)
	// SearchTags returns the tags starting with prefix (normalized) that are on a post
	// viewer may see, the exact tag first.
	SearchTags(ctx context.Context, viewer Viewer, prefix string, limit int) ([]string, error)
}
