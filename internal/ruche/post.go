package ruche

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what a post may hold.
const (
	MaxPostChars    = 5000
	MaxSpoilerChars = 500
	MaxEventChars   = 200
)

// Author is the part of an account shown beside a post.
type Author struct {
	ID          int64
	Username    string
	Domain      string // host[:port] of a partner instance's account; "" for a local one
	DisplayName string
	Presence    Presence
	CreatedAt   time.Time // when the account was made, where the query has it
	Avatar      int64     // the upload that is their picture; 0: none (initials)
}

// Handle names the account on this instance: "username" for a local account,
// "username@domain" for one on a partner instance, whose username alone may be a local
// member's too. Addresses and lookups (AccountByUsername) take it as is.
func (a Author) Handle() string {
	if a.Domain == "" {
		return a.Username
	}
	return a.Username + "@" + a.Domain
}

// Remote reports whether the account lives on a partner instance.
func (a Author) Remote() bool { return a.Domain != "" }

// SplitHandle reads a handle ("user" or "user@domain", a leading "@" dropped) as
// lower-cased username and domain ("" for a local account). ok is false when it cannot
// name an account: an empty username, or an "@" with nothing or another "@" after it.
func SplitHandle(handle string) (username, domain string, ok bool) {
	handle = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	username, domain, remote := strings.Cut(handle, "@")
	if username == "" || remote && (domain == "" || strings.Contains(domain, "@")) {
		return "", "", false
	}
	return username, domain, true
}

// Name is what to call the author.
func (a Author) Name() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

// Initials are shown as the avatar until pictures arrive.
func (a Author) Initials() string {
	var out []rune
	for _, w := range strings.Fields(a.Name()) {
		r, _ := utf8.DecodeRuneInString(w)
		out = append(out, r)
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// Event is an announcement a post may carry.
type Event struct {
	Title string
	Start time.Time
	End   *time.Time
	Place string
}

// Post is a post or a boost as one viewer sees it.
type Post struct {
	ID                 int64
	Author             Author
	Visibility         Visibility
	InReplyToID        int64
	InReplyToAccountID int64
	Source             string
	HTML               string // rendered and sanitized at write time
	SpoilerText        string // content warning: the text is hidden behind it
	Event              *Event
	CreatedAt          time.Time
	EditedAt           *time.Time
	Mentions           []Author
	Tags               []string
	Media              []Attachment // in the author's order
	Card               *LinkCard    // the first link's preview, once fetched
	Likes, Boosts      int
	Replies            int
	Liked, Boosted     bool // by the viewer
	Bookmarked         bool
	Group              *GroupRef // set on a group post
	Reblog             *Post     // set on a boost: the boosted post
	// ViewerModeratesGroup: the viewer is an owner or moderator of the post's group,
	// and so may delete it.
	ViewerModeratesGroup bool
	Pinned               bool // pinned in its group
	// Stamp, when not 0, names this version of everything above but the viewer's own
	// marks (Liked, Boosted, Bookmarked, Replies, ViewerModeratesGroup) and Reblog: a
	// post with the same ID and Stamp reads the same for every member who may see it,
	// so a front door may reuse what it made of it. 0 promises nothing. Only the
	// store's read model stamps posts, and only for posts that name nobody some member
	// may not know (never for a guest's read), so what is shared was shareable.
	Stamp uint64
}

// GroupRef names the group a post belongs to, and who can read what is written there:
// wherever a group post is shown, its readers must be able to tell that people on other
// instances read it too.
type GroupRef struct {
	ID     int64
	Handle string
	Name   string
	// Domain is the partner instance the group lives on, "" for this instance's own.
	Domain string
	// SharedWith lists, sorted, the partner instances this instance's group is shared
	// with (none for a partner's group: its home instance keeps that list).
	SharedWith []string
}

// Acct is how to name the group: its handle, with its instance for a partner's group,
// whose handle alone may be a local group's too (as Group.Acct).
func (g GroupRef) Acct() string {
	if g.Domain != "" {
		return g.Handle + "@" + g.Domain
	}
	return g.Handle
}

// NewPost is what a member writes.
type NewPost struct {
	// GroupHandle posts into that group (its members only). A post that starts with
	// a group's @handle goes there too.
	GroupHandle string
	Source      string
	SpoilerText string
	Visibility  Visibility // "" = company, or the parent's for a reply
	// MediaIDs are the author's ready uploads to attach, in order: up to 4 images, or
	// one video or sound, or up to 4 files.
	MediaIDs    []int64
	InReplyToID int64
	Event       *Event
}

// Presence is a member's status line, shown beside their name until it expires.
type Presence struct {
	Emoji     string
	Text      string
	ExpiresAt *time.Time
}

// Active reports whether the presence is set and not expired at now.
func (p Presence) Active(now time.Time) bool {
	return (p.Emoji != "" || p.Text != "") && (p.ExpiresAt == nil || now.Before(*p.ExpiresAt))
}

// Page asks for one page of a stream, at most Limit: posts older than MaxID (0: from
// the newest), newest first; or the page immediately above MinID (the oldest posts
// newer than it), newest first; or, with SinceID, posts newer than SinceID taken from
// the top of the stream, newest first. The bounds combine.
type Page struct {
	MaxID   int64
	MinID   int64
	SinceID int64
	Limit   int
}

// Normalize clamps the limit to 1..40 (default 20).
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = 20
	}
	if p.Limit > 40 {
		p.Limit = 40
	}
	return p
}

// Viewer is who is looking: the gate's other input.
type Viewer struct {
	ID   int64
	Role Role
}

// ViewerOf returns u as a viewer.
func ViewerOf(u User) Viewer { return Viewer{ID: u.ID, Role: u.Role} }

// IsModerator reports whether v may moderate (delete others' posts).
func (v Viewer) IsModerator() bool { return v.Role == RoleAdmin || v.Role == RoleModerator }
