package ruche

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ruche-hive/ruche/internal/richtext"
)

// Account is a person or a group as one viewer sees it: what the client API shows as
// an account. An account id may name either, since a group is an account too.
type Account struct {
	// Profile is the person's page. For a group: its handle and name, its description
	// as Bio, its posts the viewer may see as Posts, its members as Followers, and
	// FollowedByViewer when the viewer is a member.
	Profile
	Group      *Group     // set when the account is a group, with the viewer's standing in it
	LastPostAt *time.Time // when the newest post the viewer may see was written; nil if none
	// PageID is set in lists (followers, members, likes, boosts): the id of the entry
	// that put the account there, which the list is ordered by. The next page's MaxID
	// is the last one's.
	PageID int64
}

// Relationship is where the viewer stands with one account.
type Relationship struct {
	ID         int64
	Following  bool // the viewer follows the person, or is a member of the group
	FollowedBy bool // the person follows the viewer
	Requested  bool // the viewer asked to join the group and waits
	Member     bool // the viewer is a member of the group
}

// NotificationFilter narrows a list of notifications. Zero keeps everything.
type NotificationFilter struct {
	Types         []NotificationKind // only these kinds (none: every kind)
	ExcludeTypes  []NotificationKind // not these
	FromAccountID int64              // only from this account (0: anyone)
}

// Conversation is a thread of direct posts as one participant sees it.
type Conversation struct {
	// ID is the thread's root as the viewer sees it: the first direct post of the
	// unbroken chain of replies they may see. Two participants who see different
	// parts of a thread may name it differently.
	ID       int64
	Accounts []Author // the other participants: authors and people mentioned
	LastPost Post
	Unread   bool // someone else wrote in it since the viewer last marked it read
}

// SearchResult is what a search found, each part through its own rule.
type SearchResult struct {
	Accounts []Account
	Tags     []string
	Posts    []Post
}

// errAccountNotFound is the one answer for an id or handle that names nothing, a
// person the viewer may not know, a suspended member, and a group the viewer may not
// know exists: all must be indistinguishable.
var errAccountNotFound = Errorf(CodeNotFound, "error.not_found")

// known keeps the accounts u may know. The store already leaves out the others; the
// group rule is applied here too so that it holds by the domain's own statement.
func known(u User, as []Account) []Account {
	out := as[:0]
	for _, a := range as {
		if a.Group == nil || mayKnow(u, *a.Group) {
			out = append(out, a)
		}
	}
	return out
}

// AccountByID returns the person or group id as u may know it. Not found (always the
// same error) for an unknown id, a suspended member, a person u may not know (a guest
// knows only themself and those who wrote to them, as for mentions), and a group u may
// not know exists.
func (ps *Posts) AccountByID(ctx context.Context, u User, id int64) (Account, error) {
	as, err := ps.AccountsByID(ctx, u, []int64{id})
	if err != nil {
		return Account{}, err
	}
	if len(as) == 0 {
		return Account{}, errAccountNotFound
	}
	return as[0], nil
}

// AccountsByID returns the accounts among ids that u may know (see AccountByID), in
// the order asked, once each; the others are left out. The caller bounds len(ids).
func (ps *Posts) AccountsByID(ctx context.Context, u User, ids []int64) ([]Account, error) {
	if len(ids) == 0 {
		return []Account{}, nil
	}
	as, err := ps.Store.AccountsByID(ctx, ViewerOf(u), ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]Account{}
	for _, a := range known(u, as) {
		byID[a.ID] = a
	}
	out := make([]Account, 0, len(byID))
	for _, id := range ids {
		if a, ok := byID[id]; ok {
			out = append(out, a)
			delete(byID, id)
		}
	}
	return out, nil
}

// AccountByHandle returns the person or group named by handle: "name", "@name" or
// "@name@host" with this instance's host. Not found as for AccountByID, and for a
// handle on another instance.
func (ps *Posts) AccountByHandle(ctx context.Context, u User, handle string) (Account, error) {
	name, ok := ps.localHandle(handle)
	if !ok {
		return Account{}, errAccountNotFound
	}
	a, err := ps.Store.AccountByHandle(ctx, ViewerOf(u), name)
	if err != nil {
		return Account{}, notFoundAs(err, "error.not_found")
	}
	if a.Group != nil && !mayKnow(u, *a.Group) {
		return Account{}, errAccountNotFound
	}
	return a, nil
}

// localHandle turns "@name@host" into name when host is this instance's; ok is false
// for a handle that cannot be a local username or group handle.
func (ps *Posts) localHandle(handle string) (string, bool) {
	name, host, remote := strings.Cut(strings.TrimPrefix(strings.TrimSpace(handle), "@"), "@")
	if remote && !strings.EqualFold(host, ps.host()) {
		return "", false
	}
	name = strings.ToLower(name)
	return name, usernameRE.MatchString(name)
}

// host is this instance's host name, from BaseURL.
func (ps *Posts) host() string {
	u, err := url.Parse(ps.BaseURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// accountPage clamps a page of accounts or notifications to 1..80, 40 by default, as
// Mastodon's lists allow.
func accountPage(p Page) Page {
	if p.Limit <= 0 {
		p.Limit = 40
	}
	if p.Limit > 80 {
		p.Limit = 80
	}
	return p
}

// mayListMembers reports whether u may see who belongs to g: the rule Groups.Members
// applies. Who belongs to a closed or secret group is for its members to know.
func mayListMembers(u User, g Group) bool {
	return g.IsMember() || g.Kind == GroupOpen || u.Role == RoleAdmin
}

// Followers lists who follows the person id, newest follow first, leaving out those u
// may not know; for a group, its members, if u may see them (forbidden otherwise, as
// on the group's page). Not found as for AccountByID.
func (ps *Posts) Followers(ctx context.Context, u User, id int64, p Page) ([]Account, error) {
	a, err := ps.AccountByID(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if a.Group != nil && !mayListMembers(u, *a.Group) {
		return nil, Errorf(CodeForbidden, "error.group_members_only")
	}
	return ps.Store.Followers(ctx, ViewerOf(u), a.ID, accountPage(p))
}

// Following lists whom the person id follows, newest follow first, leaving out those
// u may not know. A group follows nobody. Not found as for AccountByID.
func (ps *Posts) Following(ctx context.Context, u User, id int64, p Page) ([]Account, error) {
	a, err := ps.AccountByID(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if a.Group != nil {
		return []Account{}, nil
	}
	return ps.Store.Following(ctx, ViewerOf(u), a.ID, accountPage(p))
}

// Relationships returns where u stands with each account among ids that u may know,
// in the order asked, once each; the others are left out, as AccountsByID does.
func (ps *Posts) Relationships(ctx context.Context, u User, ids []int64) ([]Relationship, error) {
	if len(ids) == 0 {
		return []Relationship{}, nil
	}
	rs, err := ps.Store.Relationships(ctx, ViewerOf(u), ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]Relationship{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	out := make([]Relationship, 0, len(byID))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
			delete(byID, id)
		}
	}
	return out, nil
}

// FavouritedBy lists who liked a post u may see (a boost's: its original's), newest
// like first, leaving out people u may not know. The post's not-found otherwise.
func (ps *Posts) FavouritedBy(ctx context.Context, u User, postID int64, p Page) ([]Account, error) {
	f, err := ps.access(ctx, ViewerOf(u), postID, ActSee)
	if err != nil {
		return nil, err
	}
	return ps.Store.FavouritedBy(ctx, ViewerOf(u), f.ID, accountPage(p))
}

// RebloggedBy lists who boosted a post u may see, newest boost first, as FavouritedBy.
// Each account's PageID is the boost's id.
func (ps *Posts) RebloggedBy(ctx context.Context, u User, postID int64, p Page) ([]Account, error) {
	f, err := ps.access(ctx, ViewerOf(u), postID, ActSee)
	if err != nil {
		return nil, err
	}
	return ps.Store.RebloggedBy(ctx, ViewerOf(u), f.ID, accountPage(p))
}

// NotificationsFiltered returns a page of u's notifications that match f, newest
// first (1 to 80, 40 by default). Notifications about posts u may no longer see are
// left out.
func (ps *Posts) NotificationsFiltered(ctx context.Context, u User, p Page, f NotificationFilter) ([]Notification, error) {
	return ps.Store.NotificationsFiltered(ctx, ViewerOf(u), accountPage(p), f)
}

// CountUnreadNotifications counts, as Mastodon's unread_count does, u's
// notifications that match f and are newer than u's notifications marker (all of
// them if no app ever saved one), up to limit: 100 when limit is 0 or less, at most
// 1000. Those NotificationsFiltered leaves out are not counted. The web UI's own read
// state (UnreadNotifications) is another thing: apps keep their place with the marker.
func (ps *Posts) CountUnreadNotifications(ctx context.Context, u User, f NotificationFilter, limit int) (int, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	ms, err := ps.Markers(ctx, u, []string{MarkerNotifications})
	if err != nil {
		return 0, err
	}
	return ps.Store.CountNotifications(ctx, ViewerOf(u), ms[MarkerNotifications].LastReadID, f, limit)
}

// Notification returns one of u's notifications; not found for anyone else's, and
// for one about a post u may no longer see.
func (ps *Posts) Notification(ctx context.Context, u User, id int64) (Notification, error) {
	n, err := ps.Store.Notification(ctx, ViewerOf(u), id)
	return n, notFoundAs(err, "error.not_found")
}

// DismissNotification deletes one of u's notifications; not found as for Notification.
func (ps *Posts) DismissNotification(ctx context.Context, u User, id int64) error {
	return notFoundAs(ps.Store.DismissNotification(ctx, ViewerOf(u), id), "error.not_found")
}

// ClearNotifications deletes all of u's notifications.
func (ps *Posts) ClearNotifications(ctx context.Context, u User) error {
	return ps.Store.ClearNotifications(ctx, u.ID)
}

// Conversations returns a page of u's conversations of direct posts, the most recently
// active first, leaving out those u hid that nobody wrote in since. Page bounds apply
// to the ids of the conversations' last posts.
func (ps *Posts) Conversations(ctx context.Context, u User, p Page) ([]Conversation, error) {
	return ps.Store.Conversations(ctx, ViewerOf(u), p.Normalize())
}

// MarkConversationRead marks u's conversation id read up to its last post. Not found
// when u is not part of it (or it does not exist).
func (ps *Posts) MarkConversationRead(ctx context.Context, u User, id int64) error {
	return notFoundAs(ps.Store.MarkConversationRead(ctx, ViewerOf(u), id), "error.not_found")
}

// HideConversation takes u's conversation id out of their list until someone writes
// in it again. Not found as for MarkConversationRead.
func (ps *Posts) HideConversation(ctx context.Context, u User, id int64) error {
	return notFoundAs(ps.Store.HideConversation(ctx, ViewerOf(u), id), "error.not_found")
}

// The kinds of things Search finds.
const (
	SearchAccounts = "accounts"
	SearchHashtags = "hashtags"
	SearchStatuses = "statuses"
)

// Search finds, for u, the kinds asked (all when none; unknown kinds find nothing), at
// most limit of each (1 to 40, 20 by default):
//
//   - accounts: people and groups u may know whose username, handle or name (and, for
//     people, job title or department, as in the directory) contains q, exact and
//     prefix matches first. "@name@host" finds name when host is this instance.
//   - hashtags: tags starting with q (without its "#"), on at least one post u may
//     see: a tag used only in a secret group would otherwise tell its subject.
//   - statuses: only the post q links to, when q is the address of a post on this
//     instance (BaseURL/posts/ID) that u may see. There is no full-text search of
//     posts yet; until there is, a post is found by its link alone.
//
// A link to this instance's profile of a person or group finds that account. An empty
// q is invalid.
func (ps *Posts) Search(ctx context.Context, u User, q string, kinds []string, limit int) (SearchResult, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		// The catalogue's "write something first" says what to do about an empty query.
		return SearchResult{}, Errorf(CodeInvalid, "error.search_empty")
	}
	if utf8.RuneCountInString(q) > 200 {
		q = string([]rune(q)[:200])
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 40)
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	if len(kinds) == 0 {
		want = map[string]bool{SearchAccounts: true, SearchHashtags: true, SearchStatuses: true}
	}
	res := SearchResult{Accounts: []Account{}, Tags: []string{}, Posts: []Post{}}
	v := ViewerOf(u)

	if strings.HasPrefix(q, "https://") || strings.HasPrefix(q, "http://") {
		return res, ps.searchLink(ctx, u, q, want, &res)
	}
	if want[SearchAccounts] {
		if term, ok := ps.accountTerm(q); ok {
			as, err := ps.Store.SearchAccounts(ctx, v, term, limit)
			if err != nil {
				return SearchResult{}, err
			}
			res.Accounts = known(u, as)
		}
	}
	if want[SearchHashtags] {
		if tag := richtext.NormalizeTag(strings.TrimPrefix(q, "#")); tag != "" {
			tags, err := ps.Store.SearchTags(ctx, v, tag, limit)
			if err != nil {
				return SearchResult{}, err
			}
			res.Tags = tags
		}
	}
	return res, nil
}

// accountTerm is what to look for in accounts: q without "@", and without "@host"
// when host is this instance's; ok is false for a handle on another instance.
func (ps *Posts) accountTerm(q string) (string, bool) {
	name, host, remote := strings.Cut(strings.TrimPrefix(q, "@"), "@")
	if remote && !strings.EqualFold(host, ps.host()) {
		return "", false
	}
	name = strings.ToLower(strings.TrimSpace(name))
	return name, name != ""
}

// searchLink finds what a link to this instance names: a post, or a person's or
// group's page. Links elsewhere name nothing Ruche can fetch yet.
func (ps *Posts) searchLink(ctx context.Context, u User, link string, want map[string]bool, res *SearchResult) error {
	base := strings.TrimSuffix(ps.BaseURL, "/")
	path, ok := strings.CutPrefix(link, base+"/")
	if base == "" || !ok {
		return nil
	}
	path = strings.TrimSuffix(path, "/")
	if rest, ok := strings.CutPrefix(path, "posts/"); ok && want[SearchStatuses] {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return nil
		}
		p, err := ps.Post(ctx, u, id)
		switch {
		case ErrorCode(err) == CodeNotFound:
			return nil // a post u may not see is not found, here as everywhere
		case err != nil:
			return err
		}
		res.Posts = append(res.Posts, p)
		return nil
	}
	handle, person := strings.CutPrefix(path, "@")
	if !person {
		handle, _ = strings.CutPrefix(path, "groups/")
	}
	if handle == path || !want[SearchAccounts] {
		return nil
	}
	a, err := ps.AccountByHandle(ctx, u, handle)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return nil
	case err != nil:
		return err
	}
	if (a.Group != nil) == person {
		return nil // /@handle names a person, /groups/handle a group
	}
	res.Accounts = append(res.Accounts, a)
	return nil
}
