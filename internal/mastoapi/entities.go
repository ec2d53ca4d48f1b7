package mastoapi

import (
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// The JSON shapes of Mastodon's entities that Ruche produces. Field names and
// required fields follow Mastodon 4.7's API (checked by internal/apispec in tests).

// Account is Mastodon's Account: a person, or a group ("group": true).
type Account struct {
	ID             string   `json:"id"`
	Username       string   `json:"username"`
	Acct           string   `json:"acct"`
	DisplayName    string   `json:"display_name"`
	Locked         bool     `json:"locked"`
	Bot            bool     `json:"bot"`
	Group          bool     `json:"group"`
	Discoverable   bool     `json:"discoverable"`
	Indexable      bool     `json:"indexable"`
	Noindex        bool     `json:"noindex"`
	CreatedAt      string   `json:"created_at"`
	Note           string   `json:"note"`
	URL            string   `json:"url"`
	URI            string   `json:"uri"`
	Avatar         string   `json:"avatar"`
	AvatarStatic   string   `json:"avatar_static"`
	Header         string   `json:"header"`
	HeaderStatic   string   `json:"header_static"`
	FollowersCount int      `json:"followers_count"`
	FollowingCount int      `json:"following_count"`
	StatusesCount  int      `json:"statuses_count"`
	LastStatusAt   *string  `json:"last_status_at"`
	Emojis         []any    `json:"emojis"`
	Fields         []Field  `json:"fields"`
	Roles          []any    `json:"roles"`
	Source         *Source  `json:"source,omitempty"` // the member's own account only
	Role           *AccRole `json:"role,omitempty"`   // the member's own account only
}

// Field is a name/value line of a profile.
type Field struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"`
	VerifiedAt *string `json:"verified_at"`
}

// Source is what the member wrote, for their own account (CredentialAccount).
type Source struct {
	Privacy             string  `json:"privacy"`
	Sensitive           bool    `json:"sensitive"`
	Language            *string `json:"language"` // null: no default
	Note                string  `json:"note"`
	Fields              []Field `json:"fields"`
	FollowRequestsCount int     `json:"follow_requests_count"`
	Indexable           bool    `json:"indexable"`
}

// AccRole is the member's role on the instance, for their own account.
type AccRole struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Permissions string `json:"permissions"`
	Highlighted bool   `json:"highlighted"`
}

// iso writes a time as Mastodon does: UTC with milliseconds.
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func isoPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := iso(*t)
	return &s
}

// The default pictures, for those who have none: the same for everyone (apps load
// them without credentials, so they must say nothing about the person).
func (a *API) avatarURL() string { return a.BaseURL + "/static/avatar.png" }
func (a *API) headerURL() string { return a.BaseURL + "/static/header.png" }

// pictures are an account's avatar and header URLs: capability URLs of its uploads,
// signed for a viewer who may know of the account, else the defaults.
func (a *API) pictures(avatar, header int64) (string, string) {
	av, hd := a.avatarURL(), a.headerURL()
	if u := a.Media.PictureURL(avatar); u != "" {
		av = u
	}
	if u := a.Media.PictureURL(header); u != "" {
		hd = u
	}
	return av, hd
}

// author is the short account shown beside a post: counts are not loaded for each
// post of a page (apps fetch the account when they show a profile).
func (a *API) author(au ruche.Author) Account {
	acc := Account{
		ID: idString(au.ID), Username: au.Username, Acct: au.Handle(),
		DisplayName: displayName(au, time.Now()),
		URL:         a.BaseURL + "/@" + au.Handle(), URI: a.BaseURL + "/@" + au.Handle(),
		CreatedAt: iso(au.CreatedAt), Emojis: []any{}, Fields: []Field{}, Roles: []any{}, Discoverable: true, Noindex: true,
	}
	acc.Avatar, acc.Header = a.pictures(au.Avatar, 0)
	acc.AvatarStatic, acc.HeaderStatic = acc.Avatar, acc.Header
	if f, ok := presenceField(au.Presence, time.Now()); ok {
		acc.Fields = append(acc.Fields, f)
	}
	return acc
}

// displayName shows presence the way people already do on Mastodon: the status emoji
// after the name (and the whole status as the profile's first field).
func displayName(au ruche.Author, now time.Time) string {
	name := au.Name()
	if au.Presence.Active(now) && au.Presence.Emoji != "" {
		name += " " + au.Presence.Emoji
	}
	return name
}

func presenceField(p ruche.Presence, now time.Time) (Field, bool) {
	if !p.Active(now) {
		return Field{}, false
	}
	v := strings.TrimSpace(p.Emoji + " " + p.Text)
	if p.ExpiresAt != nil {
		v += " (" + p.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	return Field{Name: "Status", Value: html.EscapeString(v)}, true
}

// profile is a person's full account.
func (a *API) profile(p ruche.Profile) Account {
	acc := a.author(p.Author)
	acc.Avatar, acc.Header = a.pictures(p.Avatar, p.Header)
	acc.AvatarStatic, acc.HeaderStatic = acc.Avatar, acc.Header
	acc.CreatedAt = iso(p.CreatedAt)
	acc.FollowersCount, acc.FollowingCount, acc.StatusesCount = p.Followers, p.Following, p.Posts
	acc.Note = plainHTML(p.Bio)
	for _, f := range []struct{ name, value string }{{"Job title", p.JobTitle}, {"Department", p.Department}, {"Location", p.Location}} {
		if f.value != "" {
			acc.Fields = append(acc.Fields, Field{Name: f.name, Value: html.EscapeString(f.value)})
		}
	}
	acc.Discoverable = true
	acc.Noindex = true // nothing here is for search engines
	return acc
}

// group is a group as an account: following it is joining it.
func (a *API) group(g ruche.Group) Account {
	avatar, header := a.pictures(g.Avatar, g.Header)
	return Account{
		ID: idString(g.ID), Username: g.Handle, Acct: g.Handle, DisplayName: g.Name,
		Group: true, Locked: g.Kind != ruche.GroupOpen, Noindex: true,
		CreatedAt: iso(g.CreatedAt), Note: plainHTML(g.Description),
		URL: a.BaseURL + "/groups/" + g.Handle, URI: a.BaseURL + "/groups/" + g.Handle,
		Avatar: avatar, AvatarStatic: avatar, Header: header, HeaderStatic: header,
		FollowersCount: g.Members, Emojis: []any{}, Fields: []Field{}, Roles: []any{},
	}
}

// plainHTML turns plain text into the HTML Mastodon's note fields carry.
func plainHTML(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, para := range strings.Split(s, "\n\n") {
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(strings.TrimSpace(para)), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// List is Mastodon's List: one of the member's lists of people.
type List struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	RepliesPolicy string `json:"replies_policy"`
	Exclusive     bool   `json:"exclusive"`
}

func list(l ruche.List) List {
	return List{ID: idString(l.ID), Title: l.Title, RepliesPolicy: string(l.RepliesPolicy), Exclusive: l.Exclusive}
}

// Marker is Mastodon's Marker: where the member stopped reading a timeline.
type Marker struct {
	LastReadID string `json:"last_read_id"`
	Version    int    `json:"version"`
	UpdatedAt  string `json:"updated_at"`
}

func marker(m ruche.Marker) Marker {
	return Marker{LastReadID: idString(m.LastReadID), Version: m.Version, UpdatedAt: iso(m.UpdatedAt)}
}

// Tag is Mastodon's Tag. Ruche keeps no daily usage counts and has no followed tags,
// so history is empty and following false; the id is the tag's name, which is what
// names a tag in Ruche's addresses.
type Tag struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	History   []any  `json:"history"`
	Following bool   `json:"following"`
}

func (a *API) tag(name string) Tag {
	return Tag{ID: name, Name: name, URL: a.BaseURL + "/tags/" + url.PathEscape(name), History: []any{}}
}

// Notification is Mastodon's Notification.
type Notification struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	CreatedAt string  `json:"created_at"`
	GroupKey  string  `json:"group_key"`
	Account   Account `json:"account"`
	Status    *Status `json:"status,omitempty"`
}

// notificationType is the Mastodon type a Ruche notification is shown as: the same
// choice as the push alert it is sent under (ruche.PushAlertOf), except for group
// invitations, approvals and refusals. Those carry no post, and Mastodon has no type
// for them: its "mention" always comes with the status that mentions (apps open it,
// and some fail without it), and no other type means "a group let you in". ok is
// false for them; the client API leaves them out (the web UI shows them).
func notificationType(k ruche.NotificationKind) (typ string, ok bool) {
	switch k {
	case ruche.NotifyGroupInvite, ruche.NotifyGroupApproved, ruche.NotifyGroupRejected:
		return "", false
	}
	alert, ok := ruche.PushAlertOf(k)
	return string(alert), ok
}

// notificationWithStatus are the types apps show with their status, and cannot
// show without one.
var notificationWithStatus = map[string]bool{"mention": true, "status": true, "favourite": true, "reblog": true}

// notification maps a notification as its member sees it; ok is false for one the
// client API does not show (see notificationType), and for one whose post the member
// can no longer see (it is then left out rather than shown without its post).
func (a *API) notification(n ruche.Notification) (out Notification, ok bool) {
	typ, ok := notificationType(n.Kind)
	if !ok || (notificationWithStatus[typ] && n.Post == nil) {
		return Notification{}, false
	}
	out = Notification{ID: idString(n.ID), Type: typ, CreatedAt: iso(n.CreatedAt),
		GroupKey: "ungrouped-" + idString(n.ID), Account: a.author(n.From)}
	if n.Post != nil && notificationWithStatus[typ] {
		s := a.status(*n.Post)
		out.Status = &s
	}
	return out, true
}

// Conversation is Mastodon's Conversation: a thread of direct posts.
type Conversation struct {
	ID         string    `json:"id"`
	Unread     bool      `json:"unread"`
	Accounts   []Account `json:"accounts"`
	LastStatus *Status   `json:"last_status"`
}

func (a *API) conversation(c ruche.Conversation) Conversation {
	out := Conversation{ID: idString(c.ID), Unread: c.Unread, Accounts: make([]Account, 0, len(c.Accounts))}
	for _, au := range c.Accounts {
		out.Accounts = append(out.Accounts, a.author(au))
	}
	s := a.status(c.LastPost)
	out.LastStatus = &s
	return out
}

// account is a person's or a group's full account, as the viewer may know it: the
// profile with its counts, or the group with its members as followers and its posts
// the viewer may see as statuses. last_status_at is a day, as Mastodon gives it.
func (a *API) account(acc ruche.Account) Account {
	var out Account
	if acc.Group != nil {
		out = a.group(*acc.Group)
		out.StatusesCount = acc.Posts
	} else {
		out = a.profile(acc.Profile)
	}
	if acc.LastPostAt != nil {
		day := acc.LastPostAt.UTC().Format(time.DateOnly)
		out.LastStatusAt = &day
	}
	return out
}

// accounts maps a list of accounts.
func (a *API) accounts(as []ruche.Account) []Account {
	return each(as, a.account)
}

// each maps xs with f, into a list that encodes as [] when empty, as Mastodon's do.
func each[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}
