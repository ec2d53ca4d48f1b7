package ruche

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Profile returns a member's page. A guest sees only themself and the members who
// wrote to them: the same rule as every other read of accounts (AccountByHandle), so
// the web UI and the client API agree.
func (ps *Posts) Profile(ctx context.Context, u User, username string) (Profile, error) {
	p, err := ps.Store.Profile(ctx, ViewerOf(u), strings.ToLower(username))
	if err != nil {
		return Profile{}, notFoundAs(err, "error.member_not_found")
	}
	if u.Role == RoleGuest && p.ID != u.ID {
		if _, err := ps.Store.AccountByHandle(ctx, ViewerOf(u), p.Username); err != nil {
			return Profile{}, notFoundAs(err, "error.member_not_found")
		}
	}
	return p, nil
}

func notFoundAs(err error, key string) error {
	if ErrorCode(err) == CodeNotFound {
		return Errorf(CodeNotFound, key)
	}
	return err
}

// SetFollowing follows or unfollows a member: immediately, without approval, inside
// the company.
func (ps *Posts) SetFollowing(ctx context.Context, u User, username string, follow bool) error {
	if u.Role == RoleGuest {
		return Errorf(CodeForbidden, "error.forbidden")
	}
	a, err := ps.Store.AccountByUsername(ctx, ViewerOf(u), strings.ToLower(username))
	if err != nil {
		return notFoundAs(err, "error.member_not_found")
	}
	if a.ID == u.ID {
		return Errorf(CodeInvalid, "error.follow_self")
	}
	if a.Remote() && follow { // following people across instances is not federated
		return Errorf(CodeInvalid, "error.remote_account_unsupported")
	}
	return ps.Store.SetFollowing(ctx, u.ID, a.ID, follow)
}

// UpdateProfile changes what u says about themself.
func (ps *Posts) UpdateProfile(ctx context.Context, u User, f ProfileFields) error {
	f.DisplayName = strings.TrimSpace(f.DisplayName)
	f.JobTitle = strings.TrimSpace(f.JobTitle)
	f.Department = strings.TrimSpace(f.Department)
	f.Location = strings.TrimSpace(f.Location)
	f.Bio = strings.TrimSpace(f.Bio)
	for _, s := range []string{f.DisplayName, f.JobTitle, f.Department, f.Location} {
		if utf8.RuneCountInString(s) > 100 {
			return Errorf(CodeInvalid, "error.field_too_long", 100)
		}
	}
	if utf8.RuneCountInString(f.Bio) > 2000 {
		return Errorf(CodeInvalid, "error.bio_too_long", 2000)
	}
	return ps.Store.UpdateProfile(ctx, u.ID, f)
}

// SetPresence sets u's status line; an empty one clears it. for is how long it lasts
// (0: until changed).
func (ps *Posts) SetPresence(ctx context.Context, u User, emoji, text string, lasts time.Duration) error {
	p := Presence{Emoji: strings.TrimSpace(emoji), Text: strings.TrimSpace(text)}
	if utf8.RuneCountInString(p.Emoji) > 8 || utf8.RuneCountInString(p.Text) > 100 {
		return Errorf(CodeInvalid, "error.presence_too_long", 100)
	}
	if lasts < 0 || lasts > 31*24*time.Hour {
		return Errorf(CodeInvalid, "error.presence_duration")
	}
	if lasts > 0 {
		t := ps.now().Add(lasts)
		p.ExpiresAt = &t
	}
	return ps.Store.SetPresence(ctx, u.ID, p)
}

// Directory finds members by name, job title or department. Guests do not browse the
// company's directory.
func (ps *Posts) Directory(ctx context.Context, u User, query string) ([]Profile, error) {
	if u.Role == RoleGuest {
		return nil, nil
	}
	q := strings.TrimSpace(query)
	if utf8.RuneCountInString(q) > 100 {
		q = string([]rune(q)[:100])
	}
	return ps.Store.Directory(ctx, q, 200)
}

// Notifications returns a page of u's notifications, newest first.
func (ps *Posts) Notifications(ctx context.Context, u User, p Page) ([]Notification, error) {
	return ps.Store.Notifications(ctx, ViewerOf(u), p.Normalize())
}

// UnreadNotifications counts u's unread notifications, for the header.
func (ps *Posts) UnreadNotifications(ctx context.Context, u User) (int, error) {
	return ps.Store.UnreadNotifications(ctx, ViewerOf(u))
}

// MarkNotificationsRead marks all of u's notifications read.
func (ps *Posts) MarkNotificationsRead(ctx context.Context, u User) error {
	return ps.Store.MarkNotificationsRead(ctx, u.ID)
}
