package mastoapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/richtext"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// The addresses apps call on every Mastodon server and break on when they get a 404:
// Tusky, Ice Cubes, Mastodon for iOS and Android, Elk and Phanpy take a 404 for a
// broken server and stop, where an empty answer or an error message lets them go on.
// Three kinds live here:
//
//   - the instance's documents and lists, honestly empty where Ruche has nothing to
//     give an app: which partner instances a company works with, and how busy it is
//     week by week, are the company's own business (as counts are, see NodeInfo);
//   - reads of what the domain knows: the directory, tags;
//   - actions Ruche does not have (blocks, mutes, notes, reports, followed tags,
//     domain blocks). They answer 422 with a message saying so, which apps show, and
//     are marked Unsupported: no answer of theirs can ever match Mastodon's schema.
//     An action on an account the member may not know is still a 404 first, as for
//     every other account route, so that the message tells nothing about who exists.

func (a *API) compatRoutes() []Route {
	r := func(method, pattern, scope string, fn handler) Route {
		return Route{Method: method, Pattern: pattern, Scope: scope, Handler: a.h(fn)}
	}
	// The instance's documents say nothing about its people, so an application's own
	// token may read them, as it reads the rules; but Ruche is private, so unlike
	// Mastodon they need a token.
	doc := func(pattern string, fn handler) Route {
		return Route{Method: "GET", Pattern: pattern, Scope: "read", Handler: a.anyone(fn), AppToken: true}
	}
	unsupported := func(method, pattern, scope string, fn handler) Route {
		rt := r(method, pattern, scope, fn)
		rt.Unsupported = true
		return rt
	}
	const acc, tag = "/api/v1/accounts/{id}", "/api/v1/tags/{name}"
	return []Route{
		doc("/api/v1/instance/extended_description", a.extendedDescription),
		doc("/api/v1/instance/privacy_policy", a.privacyPolicy),
		doc("/api/v1/instance/terms_of_service", a.termsOfService),
		doc("/api/v1/instance/peers", emptyList),
		doc("/api/v1/instance/activity", emptyList),
		doc("/api/v1/instance/languages", a.instanceLanguages),
		doc("/api/v1/instance/translation_languages", a.translationLanguages),

		r("GET", "/api/v1/directory", "read:accounts", a.directory),
		r("GET", "/api/v1/accounts/familiar_followers", "read:follows", a.familiarFollowers),
		r("GET", "/api/v1/domain_blocks", "read:blocks", emptyList),
		r("GET", tag, "read:statuses", a.getTag),
		r("GET", "/api/v1/notifications/policy", "read:notifications", a.notificationPolicyV1),
		// Apps that still read version 1 of filters (older Tusky) need the list, though
		// Mastodon's description has it answer one filter where Mastodon answers a list.
		r("GET", "/api/v1/filters", "read:filters", emptyList),

		unsupported("POST", acc+"/block", "write:blocks", a.onAccount("error.api_block_unsupported")),
		unsupported("POST", acc+"/unblock", "write:blocks", a.onAccount("error.api_block_unsupported")),
		unsupported("POST", acc+"/mute", "write:mutes", a.onAccount("error.api_mute_unsupported")),
		unsupported("POST", acc+"/unmute", "write:mutes", a.onAccount("error.api_mute_unsupported")),
		unsupported("POST", acc+"/note", "write:accounts", a.onAccount("error.api_note_unsupported")),
		unsupported("POST", acc+"/pin", "write:accounts", a.onAccount("error.api_endorse_unsupported")),
		unsupported("POST", acc+"/unpin", "write:accounts", a.onAccount("error.api_endorse_unsupported")),
		unsupported("POST", acc+"/remove_from_followers", "write:follows", a.onAccount("error.api_remove_follower_unsupported")),
		unsupported("POST", "/api/v1/reports", "write:reports", refuse("error.api_report_unsupported")),
		unsupported("POST", tag+"/follow", "write:follows", a.onTag("error.api_tag_follow_unsupported")),
		unsupported("POST", tag+"/unfollow", "write:follows", a.onTag("error.api_tag_follow_unsupported")),
		unsupported("POST", "/api/v1/domain_blocks", "write:blocks", refuse("error.api_domain_block_unsupported")),
		unsupported("DELETE", "/api/v1/domain_blocks", "write:blocks", refuse("error.api_domain_block_unsupported")),
	}
}

// --- The instance's documents -----------------------------------------------------

// documentsDate is when the instance's documents last changed: the day Ruche began
// serving them, empty. Mastodon, too, dates its default privacy policy with a fixed day.
var documentsDate = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// Document is Mastodon's ExtendedDescription and PrivacyPolicy: HTML an app shows on
// its "about" page. Ruche's are empty: the company's own pages say what applies.
type Document struct {
	UpdatedAt string `json:"updated_at"`
	Content   string `json:"content"`
}

// TermsOfService is Mastodon's TermsOfService.
type TermsOfService struct {
	EffectiveDate string  `json:"effective_date"`
	Effective     bool    `json:"effective"`
	Content       string  `json:"content"`
	SucceededBy   *string `json:"succeeded_by"`
}

func (a *API) extendedDescription(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	return Document{UpdatedAt: iso(documentsDate)}, nil
}

func (a *API) privacyPolicy(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	return Document{UpdatedAt: iso(documentsDate)}, nil
}

func (a *API) termsOfService(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	return TermsOfService{EffectiveDate: documentsDate.Format(time.DateOnly), Effective: true}, nil
}

// Language is one language an app may offer for posts.
type Language struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// instanceLanguages are the catalogue's languages, each named in itself.
func (a *API) instanceLanguages(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	out := []Language{}
	for _, l := range a.Catalog.Languages() {
		out = append(out, Language{Code: l.Code, Name: l.Name})
	}
	return out, nil
}

// translationLanguages is empty: Ruche translates nothing (instance v2 says
// translation is off), and apps hide the "translate" button for an empty map.
func (a *API) translationLanguages(w http.ResponseWriter, r *http.Request, _ ruche.User) (any, error) {
	return map[string][]string{}, nil
}

// --- The directory ----------------------------------------------------------------

// maxDirectoryGroups bounds the groups read for one page of the directory, as
// Posts.Directory bounds the people.
const maxDirectoryGroups = 200

// directory lists the people of the company directory (Posts.Directory: none for a
// guest, who does not browse it) and the groups the member may know (Groups.List),
// each through the rule of every account read. order is active (the newest post the
// member may see first, the default) or new (the newest account first); offset and
// limit (40 by default, at most 80) page within them. local is accepted and ignored:
// every account is local. Posts.Directory gives at most its first 200 people by name
// and cannot be ordered or paged, so a larger company's directory is ordered among
// those.
func (a *API) directory(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	limit, err := p.Int("limit", 40)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 40
	}
	limit = min(limit, 80)
	offset, err := p.Int("offset", 0)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.number_invalid")
	}
	order := p.String("order")
	switch order {
	case "", "active", "new":
	default:
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.api_param_invalid", "order")
	}
	ctx := r.Context()
	people, err := a.Posts.Directory(ctx, u, "")
	if err != nil {
		return nil, err
	}
	groups, err := a.Groups.List(ctx, u)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(people)+min(len(groups), maxDirectoryGroups))
	for _, person := range people {
		ids = append(ids, person.ID)
	}
	for _, g := range groups[:min(len(groups), maxDirectoryGroups)] {
		ids = append(ids, g.ID)
	}
	as, err := a.Posts.AccountsByID(ctx, u, ids)
	if err != nil {
		return nil, err
	}
	if order == "new" {
		slices.SortStableFunc(as, func(x, y ruche.Account) int { return createdAt(y).Compare(createdAt(x)) })
	} else {
		slices.SortStableFunc(as, func(x, y ruche.Account) int {
			switch {
			case x.LastPostAt == nil && y.LastPostAt == nil:
				return 0
			case x.LastPostAt == nil:
				return 1
			case y.LastPostAt == nil:
				return -1
			}
			return y.LastPostAt.Compare(*x.LastPostAt)
		})
	}
	return a.accounts(window(as, offset, limit)), nil
}

// createdAt is when a person joined, or a group was made.
func createdAt(acc ruche.Account) time.Time {
	if acc.Group != nil {
		return acc.Group.CreatedAt
	}
	return acc.CreatedAt
}

// FamiliarFollowers is Mastodon's FamiliarFollowers.
type FamiliarFollowers struct {
	ID       string    `json:"id"`
	Accounts []Account `json:"accounts"`
}

// familiarFollowers answers, for each id[] the member may know, in the order asked,
// the people they follow who follow that account. The domain has no such query yet,
// so the list is empty, which apps show as "no one you know"; unknown and malformed
// ids are left out, as in relationships.
func (a *API) familiarFollowers(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	const maxIDs = 100 // a page's worth of accounts, as in relationships
	var ids []int64
	for _, s := range p.List("id") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && !slices.Contains(ids, n) {
			ids = append(ids, n)
		}
		if len(ids) == maxIDs {
			break
		}
	}
	as, err := a.Posts.AccountsByID(r.Context(), u, ids)
	if err != nil {
		return nil, err
	}
	out := make([]FamiliarFollowers, 0, len(as))
	for _, acc := range as {
		out = append(out, FamiliarFollowers{ID: idString(acc.ID), Accounts: []Account{}})
	}
	return out, nil
}

// --- Tags -------------------------------------------------------------------------

// pathTag returns the tag the path names, normalised, when the member may know it: a
// tag is found as search finds it, on at least one post the member may see, since a
// tag used only in a secret group would tell its subject. Any other is not found.
func (a *API) pathTag(r *http.Request, u ruche.User) (string, error) {
	name := r.PathValue("name")
	if strings.Contains(name, "%") { // the router leaves some paths escaped
		if s, err := url.PathUnescape(name); err == nil {
			name = s
		}
	}
	tag := richtext.NormalizeTag(strings.TrimPrefix(strings.TrimSpace(name), "#"))
	if tag == "" {
		return "", ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	// Search puts the exact match first, so one result says whether there is one.
	res, err := a.Posts.Search(r.Context(), u, tag, []string{ruche.SearchHashtags}, 1)
	if err != nil {
		return "", err
	}
	if len(res.Tags) == 0 || res.Tags[0] != tag {
		return "", ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	return tag, nil
}

// getTag is a tag the member may know. Its history is empty (Ruche keeps no daily
// counts of tags) and nobody follows tags in Ruche.
func (a *API) getTag(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	tag, err := a.pathTag(r, u)
	if err != nil {
		return nil, err
	}
	return a.tag(tag), nil
}

// --- Notifications ----------------------------------------------------------------

// NotificationPolicyV1 is Mastodon's first notification policy (Mastodon 4.3, which
// apps still read): Ruche filters no notifications.
type NotificationPolicyV1 struct {
	FilterNotFollowing    bool          `json:"filter_not_following"`
	FilterNotFollowers    bool          `json:"filter_not_followers"`
	FilterNewAccounts     bool          `json:"filter_new_accounts"`
	FilterPrivateMentions bool          `json:"filter_private_mentions"`
	Summary               PolicySummary `json:"summary"`
}

func (a *API) notificationPolicyV1(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return NotificationPolicyV1{}, nil
}

// --- What Ruche does not do -------------------------------------------------------

// refuse answers an action Ruche does not have with a message saying so.
func refuse(key string) handler {
	return func(http.ResponseWriter, *http.Request, ruche.User) (any, error) {
		return nil, ruche.Errorf(ruche.CodeInvalid, key)
	}
}

// onAccount refuses an action on an account, once the account is known to the member:
// one they may not know is not found, as everywhere.
func (a *API) onAccount(key string) handler {
	return func(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
		if _, err := a.pathAccount(r, u); err != nil {
			return nil, err
		}
		return nil, ruche.Errorf(ruche.CodeInvalid, key)
	}
}

// onTag refuses an action on a tag, once the tag is known to the member.
func (a *API) onTag(key string) handler {
	return func(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
		if _, err := a.pathTag(r, u); err != nil {
			return nil, err
		}
		return nil, ruche.Errorf(ruche.CodeInvalid, key)
	}
}
