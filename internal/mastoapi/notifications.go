package mastoapi

import (
	"net/http"
	"strings"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Notifications and read markers. Apps read notifications in two shapes: the list of
// /api/v1/notifications, and the grouped results of /api/v2/notifications, which apps
// use when the instance says it speaks Mastodon 4.3. Ruche does not group: each
// notification is its own group, keyed "ungrouped-<id>" as Mastodon keys those it
// leaves alone, so that both shapes page through the same notifications.

func (a *API) notificationRoutes() []Route {
	const read, write = "read:notifications", "write:notifications"
	return []Route{
		{Method: "GET", Pattern: "/api/v1/notifications", Scope: read, Handler: a.h(a.notifications)},
		{Method: "GET", Pattern: "/api/v1/notifications/unread_count", Scope: read, Handler: a.h(a.unreadCount)},
		{Method: "GET", Pattern: "/api/v1/notifications/requests", Scope: read, Handler: a.h(emptyList)},
		{Method: "POST", Pattern: "/api/v1/notifications/clear", Scope: write, Handler: a.h(a.clearNotifications)},
		{Method: "GET", Pattern: "/api/v1/notifications/{id}", Scope: read, Handler: a.h(a.getNotification)},
		{Method: "POST", Pattern: "/api/v1/notifications/{id}/dismiss", Scope: write, Handler: a.h(onID(a.Posts.DismissNotification))},

		{Method: "GET", Pattern: "/api/v2/notifications", Scope: read, Handler: a.h(a.groupedNotifications)},
		{Method: "GET", Pattern: "/api/v2/notifications/unread_count", Scope: read, Handler: a.h(a.unreadCount)},
		{Method: "GET", Pattern: "/api/v2/notifications/policy", Scope: read, Handler: a.h(a.notificationPolicy)},
		{Method: "GET", Pattern: "/api/v2/notifications/{group_key}", Scope: read, Handler: a.h(a.notificationGroup)},
		{Method: "GET", Pattern: "/api/v2/notifications/{group_key}/accounts", Scope: read, Handler: a.h(a.notificationGroupAccounts)},
		{Method: "POST", Pattern: "/api/v2/notifications/{group_key}/dismiss", Scope: write, Handler: a.h(a.dismissNotificationGroup)},

		{Method: "GET", Pattern: "/api/v1/markers", Scope: "read:statuses", Handler: a.h(a.markers)},
		{Method: "POST", Pattern: "/api/v1/markers", Scope: "write:statuses", Handler: a.h(a.setMarkers)},
	}
}

// emptyList answers the calls apps make for features Ruche does not have (filtered
// notification requests, trends, filters…): nothing, rather than a 404 apps take for
// a broken server.
func emptyList(http.ResponseWriter, *http.Request, ruche.User) (any, error) { return []any{}, nil }

// notificationKinds are the kinds Ruche has; the client API shows those that
// notificationType maps and leaves the others out.
var notificationKinds = []ruche.NotificationKind{ruche.NotifyMention, ruche.NotifyReply, ruche.NotifyLike,
	ruche.NotifyBoost, ruche.NotifyFollow, ruche.NotifyGroupRequest, ruche.NotifyGroupPost,
	ruche.NotifyGroupInvite, ruche.NotifyGroupApproved, ruche.NotifyGroupRejected}

// kindsOf returns the kinds shown as Mastodon's type typ: none for a type Ruche never
// sends.
func kindsOf(typ string) []ruche.NotificationKind {
	var out []ruche.NotificationKind
	for _, k := range notificationKinds {
		if t, ok := notificationType(k); ok && t == typ {
			out = append(out, k)
		}
	}
	return out
}

// notificationFilter reads types[], exclude_types[] and account_id. none is true when
// the types asked for are all types Ruche never sends: then nothing matches (as in
// Mastodon), where an empty filter would match everything. Kinds the client API does
// not show are always excluded, so that pages are full.
func notificationFilter(p params) (f ruche.NotificationFilter, none bool, err error) {
	if types := p.List("types"); len(types) > 0 {
		for _, t := range types {
			f.Types = append(f.Types, kindsOf(t)...)
		}
		if len(f.Types) == 0 {
			return f, true, nil
		}
	}
	for _, k := range notificationKinds {
		if _, ok := notificationType(k); !ok {
			f.ExcludeTypes = append(f.ExcludeTypes, k)
		}
	}
	for _, t := range p.List("exclude_types") {
		f.ExcludeTypes = append(f.ExcludeTypes, kindsOf(t)...)
	}
	f.FromAccountID, err = p.ID("account_id")
	return f, false, err
}

// notificationPage reads a page of notifications: 40 by default, at most 80.
func notificationPage(p params) (ruche.Page, error) {
	pg, err := page(p, 80)
	if err != nil {
		return pg, err
	}
	if n, _ := p.Int("limit", 0); n <= 0 {
		pg.Limit = 40
	}
	return pg, nil
}

// notificationsPage is the page of notifications a list call asks for, with its
// Link header written (from the notifications read, shown or not, so that paging
// never stalls on a page the client API left out).
func (a *API) notificationsPage(w http.ResponseWriter, r *http.Request, u ruche.User) ([]ruche.Notification, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	pg, err := notificationPage(p)
	if err != nil {
		return nil, err
	}
	f, none, err := notificationFilter(p)
	if err != nil || none {
		return nil, err
	}
	ns, err := a.Posts.NotificationsFiltered(r.Context(), u, pg, f)
	if err != nil {
		return nil, err
	}
	if len(ns) > 0 {
		a.link(w, r, ns[0].ID, ns[len(ns)-1].ID)
	}
	return ns, nil
}

func (a *API) notifications(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	ns, err := a.notificationsPage(w, r, u)
	if err != nil {
		return nil, err
	}
	out := make([]Notification, 0, len(ns))
	for _, n := range ns {
		if v, ok := a.notification(n); ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// shownNotification returns u's notification id as the client API shows it; one it
// leaves out is not found, as someone else's.
func (a *API) shownNotification(r *http.Request, u ruche.User, id int64) (ruche.Notification, Notification, error) {
	n, err := a.Posts.Notification(r.Context(), u, id)
	if err != nil {
		return n, Notification{}, err
	}
	v, ok := a.notification(n)
	if !ok {
		return n, v, ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	return n, v, nil
}

func (a *API) getNotification(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	nid, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	_, v, err := a.shownNotification(r, u, nid)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (a *API) clearNotifications(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return struct{}{}, a.Posts.ClearNotifications(r.Context(), u)
}

// CountResponse is Mastodon's answer to unread_count.
type CountResponse struct {
	Count int `json:"count"`
}

// unreadCount counts, as Mastodon does, the notifications newer than the member's
// notifications marker among those the filter keeps, up to limit (100 by default, at
// most 1000); the domain counts them in one query.
func (a *API) unreadCount(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	limit, err := p.Int("limit", 100)
	if err != nil {
		return nil, err
	}
	f, none, err := notificationFilter(p)
	if err != nil || none {
		return CountResponse{}, err
	}
	n, err := a.Posts.CountUnreadNotifications(r.Context(), u, f, limit)
	if err != nil {
		return nil, err
	}
	return CountResponse{Count: n}, nil
}

// GroupedNotifications is Mastodon's GroupedNotificationsResults: the groups of a
// page, with the accounts and statuses they name given once each.
type GroupedNotifications struct {
	Accounts           []Account           `json:"accounts"`
	Statuses           []Status            `json:"statuses"`
	NotificationGroups []NotificationGroup `json:"notification_groups"`
}

// NotificationGroup is Mastodon's NotificationGroup; each holds one notification.
type NotificationGroup struct {
	GroupKey                 string   `json:"group_key"`
	NotificationsCount       int      `json:"notifications_count"`
	Type                     string   `json:"type"`
	MostRecentNotificationID int64    `json:"most_recent_notification_id"`
	PageMinID                string   `json:"page_min_id"`
	PageMaxID                string   `json:"page_max_id"`
	LatestPageNotificationAt string   `json:"latest_page_notification_at"`
	SampleAccountIDs         []string `json:"sample_account_ids"`
	StatusID                 *string  `json:"status_id"`
}

// grouped puts notifications, as the client API shows them, into grouped results.
func grouped(vs []Notification) GroupedNotifications {
	out := GroupedNotifications{Accounts: []Account{}, Statuses: []Status{}, NotificationGroups: []NotificationGroup{}}
	accounts, statuses := map[string]bool{}, map[string]bool{}
	for _, v := range vs {
		g := NotificationGroup{GroupKey: v.GroupKey, NotificationsCount: 1, Type: v.Type, PageMinID: v.ID, PageMaxID: v.ID,
			LatestPageNotificationAt: v.CreatedAt, SampleAccountIDs: []string{v.Account.ID}}
		g.MostRecentNotificationID, _ = id(v.ID)
		if !accounts[v.Account.ID] {
			accounts[v.Account.ID] = true
			out.Accounts = append(out.Accounts, v.Account)
		}
		if v.Status != nil {
			g.StatusID = &v.Status.ID
			if !statuses[v.Status.ID] {
				statuses[v.Status.ID] = true
				out.Statuses = append(out.Statuses, *v.Status)
			}
		}
		out.NotificationGroups = append(out.NotificationGroups, g)
	}
	return out
}

func (a *API) groupedNotifications(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	ns, err := a.notificationsPage(w, r, u)
	if err != nil {
		return nil, err
	}
	vs := make([]Notification, 0, len(ns))
	for _, n := range ns {
		if v, ok := a.notification(n); ok {
			vs = append(vs, v)
		}
	}
	return grouped(vs), nil
}

// groupKeyID reads the notification id of a group key; any other key is not found.
func groupKeyID(key string) (int64, error) {
	rest, ok := strings.CutPrefix(key, "ungrouped-")
	if !ok {
		return 0, ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	return id(rest)
}

func (a *API) notificationGroup(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	nid, err := groupKeyID(r.PathValue("group_key"))
	if err != nil {
		return nil, err
	}
	_, v, err := a.shownNotification(r, u, nid)
	if err != nil {
		return nil, err
	}
	return grouped([]Notification{v}), nil
}

func (a *API) notificationGroupAccounts(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	nid, err := groupKeyID(r.PathValue("group_key"))
	if err != nil {
		return nil, err
	}
	_, v, err := a.shownNotification(r, u, nid)
	if err != nil {
		return nil, err
	}
	return []Account{v.Account}, nil
}

func (a *API) dismissNotificationGroup(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	nid, err := groupKeyID(r.PathValue("group_key"))
	if err != nil {
		return nil, err
	}
	return struct{}{}, a.Posts.DismissNotification(r.Context(), u, nid)
}

// NotificationPolicy is Mastodon's NotificationPolicy. Ruche filters no notification
// (everyone who can reach a member is a colleague), so it accepts everything and has
// nothing pending.
type NotificationPolicy struct {
	ForNotFollowing    string        `json:"for_not_following"`
	ForNotFollowers    string        `json:"for_not_followers"`
	ForNewAccounts     string        `json:"for_new_accounts"`
	ForPrivateMentions string        `json:"for_private_mentions"`
	ForLimitedAccounts string        `json:"for_limited_accounts"`
	Summary            PolicySummary `json:"summary"`
}

// PolicySummary counts filtered notifications: none in Ruche.
type PolicySummary struct {
	PendingRequestsCount      int `json:"pending_requests_count"`
	PendingNotificationsCount int `json:"pending_notifications_count"`
}

func (a *API) notificationPolicy(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return NotificationPolicy{ForNotFollowing: "accept", ForNotFollowers: "accept", ForNewAccounts: "accept",
		ForPrivateMentions: "accept", ForLimitedAccounts: "accept"}, nil
}

// markerTimelines are the timelines apps save markers of, in the order they are saved.
var markerTimelines = []string{ruche.MarkerHome, ruche.MarkerNotifications}

func (a *API) markers(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	ms, err := a.Posts.Markers(r.Context(), u, p.List("timeline"))
	if err != nil {
		return nil, err
	}
	out := map[string]Marker{}
	for t, m := range ms {
		out[t] = marker(m)
	}
	return out, nil
}

// setMarkers saves home[last_read_id] and notifications[last_read_id], whichever are
// given, and answers the markers saved.
func (a *API) setMarkers(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for _, t := range markerTimelines {
		key := t + "[last_read_id]"
		if p.String(key) == "" {
			continue
		}
		if ids[t], err = p.ID(key); err != nil {
			return nil, err
		}
	}
	out := map[string]Marker{}
	for _, t := range markerTimelines {
		last, ok := ids[t]
		if !ok {
			continue
		}
		m, err := a.Posts.SetMarker(r.Context(), u, t, last)
		if err != nil {
			return nil, err
		}
		out[t] = marker(m)
	}
	return out, nil
}
