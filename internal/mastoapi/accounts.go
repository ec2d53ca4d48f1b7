package mastoapi

import (
	"cmp"
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/richtext"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// The accounts endpoints. An account id names a person or a group (a group is an
// account too): a group's statuses are its stream, its followers are its members, and
// following it is joining it (or asking to, for a closed group). Who may know of an
// account, and which posts they may see, is the domain's to say: every read goes
// through Posts.AccountByID or a stream, and an account one may not know is not found.
//
// Blocks, mutes, endorsements, featured and followed tags do not exist in Ruche;
// their lists answer empty, since apps call them when they start and give up on a 404.

// updateCredentialsPath takes pictures: its body may be as large as maxPicturesBody.
const updateCredentialsPath = "/api/v1/accounts/update_credentials"

// maxPicturesBody bounds a profile update with an avatar and a header of the default
// image limit; each picture is then held to the configured limit.
const maxPicturesBody = 2*16<<20 + maxBody

func (a *API) accountRoutes() []Route {
	r := func(method, pattern, scope string, fn handler) Route {
		return Route{Method: method, Pattern: pattern, Scope: scope, Handler: a.h(fn)}
	}
	empty := func(http.ResponseWriter, *http.Request, ruche.User) (any, error) { return []any{}, nil }
	return []Route{
		r("GET", "/api/v1/accounts/verify_credentials", "read:accounts:self", a.verifyCredentials),
		{Method: "PATCH", Pattern: updateCredentialsPath, Scope: "write:accounts", Handler: a.h(a.updateCredentials), Upload: true},
		r("GET", "/api/v1/accounts/relationships", "read:follows", a.accountRelationships),
		r("GET", "/api/v1/accounts/lookup", "read:accounts", a.accountLookup),
		r("GET", "/api/v1/accounts/search", "read:accounts", a.accountSearch),
		r("GET", "/api/v1/accounts/{id}", "read:accounts", a.accountGet),
		r("GET", "/api/v1/accounts/{id}/statuses", "read:statuses", a.accountStatuses),
		r("GET", "/api/v1/accounts/{id}/followers", "read:accounts", a.accountFollowers),
		r("GET", "/api/v1/accounts/{id}/following", "read:accounts", a.accountFollowing),
		r("POST", "/api/v1/accounts/{id}/follow", "write:follows", a.accountFollow),
		r("POST", "/api/v1/accounts/{id}/unfollow", "write:follows", a.accountUnfollow),
		r("GET", "/api/v1/accounts/{id}/lists", "read:lists", a.accountLists),
		r("GET", "/api/v1/accounts/{id}/featured_tags", "read:accounts", a.accountFeaturedTags),
		r("GET", "/api/v1/blocks", "read:blocks", empty),
		r("GET", "/api/v1/mutes", "read:mutes", empty),
		r("GET", "/api/v1/endorsements", "read:accounts", empty),
		r("GET", "/api/v1/featured_tags", "read:accounts", empty),
		r("GET", "/api/v1/followed_tags", "read:follows", empty),
	}
}

// pathAccount returns the account named by the path's id, as u may know it.
func (a *API) pathAccount(r *http.Request, u ruche.User) (ruche.Account, error) {
	n, err := id(r.PathValue("id"))
	if err != nil {
		return ruche.Account{}, err
	}
	return a.Posts.AccountByID(r.Context(), u, n)
}

// --- The member's own account -------------------------------------------------------

func (a *API) verifyCredentials(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	acc, err := a.Posts.AccountByID(r.Context(), u, u.ID)
	if err != nil {
		return nil, err
	}
	return a.credentialAccount(r, u, acc), nil
}

// credentialAccount is Mastodon's CredentialAccount: the member's own account, with
// what they wrote (source) and their role on the instance.
func (a *API) credentialAccount(r *http.Request, u ruche.User, acc ruche.Account) Account {
	out := a.account(acc)
	privacy := "public"
	if u.Role == ruche.RoleGuest {
		privacy = "direct" // guests write to the people they mention, as in preferences
	}
	src := &Source{Privacy: privacy, Note: acc.Bio, Fields: []Field{}}
	if u.Locale != "" {
		src.Language = &u.Locale
	}
	for _, f := range profileFieldTable {
		if v := f.get(acc.ProfileFields); v != "" {
			src.Fields = append(src.Fields, Field{Name: f.name, Value: v})
		}
	}
	out.Source = src
	out.Role = a.instanceRole(r, u.Role)
	return out
}

// instanceRole is the member's role as Mastodon's Role. Its ids are Mastodon's own for
// the matching built-in roles (-99 is everyone's); guests, whom Mastodon has no word
// for, get one of their own. Ruche's roles carry no Mastodon permissions: staff work
// happens in Ruche's own pages, so apps are given none to act on.
func (a *API) instanceRole(r *http.Request, role ruche.Role) *AccRole {
	p := i18n.FromContext(r.Context(), a.Catalog)
	out := &AccRole{Permissions: "0"}
	switch role {
	case ruche.RoleAdmin:
		out.ID, out.Name, out.Highlighted = "2", p.T("role.admin"), true
	case ruche.RoleModerator:
		out.ID, out.Name, out.Highlighted = "1", p.T("role.moderator"), true
	case ruche.RoleGuest:
		out.ID, out.Name = "-98", p.T("role.guest")
	default:
		out.ID, out.Name = "-99", p.T("role.member")
	}
	return out
}

// profileFieldTable is how a profile's Ruche fields appear as Mastodon's free-form
// fields, and how fields_attributes come back. The names are the ones a.profile
// shows; on the way back, the names of the same fields on Ruche's profile page in
// every language of the catalogue, and a few common synonyms, are understood too
// (case does not matter).
var profileFieldTable = []struct {
	name     string // as shown
	key      string // the catalogue's label on the profile page
	synonyms []string
	get      func(ruche.ProfileFields) string
	set      func(*ruche.ProfileFields, string)
}{
	{"Job title", "profile.job_title", []string{"title", "job", "position"},
		func(f ruche.ProfileFields) string { return f.JobTitle }, func(f *ruche.ProfileFields, v string) { f.JobTitle = v }},
	{"Department", "profile.department", []string{"dept", "team"},
		func(f ruche.ProfileFields) string { return f.Department }, func(f *ruche.ProfileFields, v string) { f.Department = v }},
	{"Location", "profile.location", []string{"office", "city"},
		func(f ruche.ProfileFields) string { return f.Location }, func(f *ruche.ProfileFields, v string) { f.Location = v }},
}

// fieldSetter returns how to store a field named name, or nil for a name Ruche has no
// field for.
func (a *API) fieldSetter(name string) func(*ruche.ProfileFields, string) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, f := range profileFieldTable {
		if name == strings.ToLower(f.name) || slices.Contains(f.synonyms, name) {
			return f.set
		}
		for _, l := range a.Catalog.Languages() {
			if name == strings.ToLower(a.Catalog.Printer(l.Code, "").T(f.key)) {
				return f.set
			}
		}
	}
	return nil
}

// fieldsAttributesRE reads Rails' names for the fields: fields_attributes[0][name]
// (a form, or a JSON object keyed by index) or fields_attributes[][name] (a JSON array).
var fieldsAttributesRE = regexp.MustCompile(`^fields_attributes\[(\d*)\]\[(name|value)\]$`)

// fieldsAttributes returns the name/value pairs sent, in the order given, and whether
// any were sent at all.
func fieldsAttributes(p params) (pairs [][2]string, sent bool) {
	indexed := map[int]*[2]string{}
	var listed [][2]string
	for k, vs := range p {
		if !strings.HasPrefix(k, "fields_attributes") {
			continue
		}
		sent = true
		m := fieldsAttributesRE.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		part := 0
		if m[2] == "value" {
			part = 1
		}
		if m[1] == "" { // an array: names and values pair up by position
			for i, v := range vs {
				for len(listed) <= i {
					listed = append(listed, [2]string{})
				}
				listed[i][part] = v
			}
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || len(vs) == 0 {
			continue
		}
		if indexed[n] == nil {
			indexed[n] = &[2]string{}
		}
		indexed[n][part] = vs[0]
	}
	keys := make([]int, 0, len(indexed))
	for n := range indexed {
		keys = append(keys, n)
	}
	slices.Sort(keys)
	for _, n := range keys {
		pairs = append(pairs, *indexed[n])
	}
	return append(pairs, listed...), sent
}

// updateCredentials changes the member's profile. Mastodon's fields map onto Ruche's
// fixed ones (see profileFieldTable): when fields_attributes is sent it replaces all
// three, as it replaces all fields in Mastodon, so a field an app leaves out is
// cleared; fields Ruche has no place for (the presence "Status" line among them,
// which is set elsewhere) are ignored. locked, bot, discoverable, indexable,
// hide_collections and source[…] are accepted and ignored: inside a company nobody
// approves followers, and the default audience follows the member's role. Pictures
// cannot be uploaded yet (issue 8), and saying so beats dropping them silently.
func (a *API) updateCredentials(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if err := a.setPictures(ctx, r, u); err != nil {
		return nil, err
	}
	acc, err := a.Posts.AccountByID(ctx, u, u.ID)
	if err != nil {
		return nil, err
	}
	f := acc.ProfileFields
	if p.Has("display_name") {
		f.DisplayName = p.String("display_name")
	}
	if p.Has("note") {
		f.Bio = p.String("note")
	}
	if pairs, sent := fieldsAttributes(p); sent {
		for _, t := range profileFieldTable {
			t.set(&f, "")
		}
		for _, kv := range pairs {
			if set := a.fieldSetter(kv[0]); set != nil {
				set(&f, kv[1])
			}
		}
	}
	if err := a.Posts.UpdateProfile(ctx, u, f); err != nil {
		return nil, err
	}
	if acc, err = a.Posts.AccountByID(ctx, u, u.ID); err != nil {
		return nil, err
	}
	return a.credentialAccount(r, u, acc), nil
}

// setPictures sets the avatar and header the request carries as file parts.
func (a *API) setPictures(ctx context.Context, r *http.Request, u ruche.User) error {
	if r.MultipartForm == nil {
		return nil
	}
	for _, which := range []ruche.Picture{ruche.PictureAvatar, ruche.PictureHeader} {
		files := r.MultipartForm.File[string(which)]
		if len(files) == 0 {
			continue
		}
		if a.Media == nil {
			return ruche.Errorf(ruche.CodeInvalid, "error.api_picture_not_yet")
		}
		f, err := files[0].Open()
		if err != nil {
			return err
		}
		_, err = a.Media.SetOwnPicture(ctx, u, which, ruche.Upload{Body: f, Type: files[0].Header.Get("Content-Type"), Name: files[0].Filename})
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// --- Accounts ---------------------------------------------------------------------

func (a *API) accountGet(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	acc, err := a.pathAccount(r, u)
	if err != nil {
		return nil, err
	}
	return a.account(acc), nil
}

// accountLookup finds an account by its handle: "alice", "@alice" or
// "alice@this-host"; a handle on another instance is not found (Ruche does not fetch
// accounts from elsewhere).
func (a *API) accountLookup(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	acct := strings.TrimSpace(p.String("acct"))
	if acct == "" {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.api_param_missing", "acct")
	}
	acc, err := a.Posts.AccountByHandle(r.Context(), u, acct)
	if err != nil {
		return nil, err
	}
	return a.account(acc), nil
}

// maxAccountSearch is how many accounts Posts.Search finds at most: offset and limit
// page within it.
const maxAccountSearch = 40

// accountSearch finds people and groups the member may know. resolve is ignored
// (nothing is fetched from elsewhere); following keeps the people they follow and the
// groups they belong to; offset pages within the best maxAccountSearch matches.
func (a *API) accountSearch(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	if !p.Has("q") {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.api_param_missing", "q")
	}
	limit, err := p.Int("limit", maxAccountSearch)
	if err != nil {
		return nil, err
	}
	offset, err := p.Int("offset", 0)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.number_invalid")
	}
	if limit <= 0 || limit > maxAccountSearch {
		limit = maxAccountSearch
	}
	q := strings.TrimSpace(p.String("q"))
	if q == "" || offset >= maxAccountSearch {
		return []Account{}, nil // nothing asked, or past what search finds
	}
	res, err := a.Posts.Search(r.Context(), u, q, []string{ruche.SearchAccounts}, min(offset+limit, maxAccountSearch))
	if err != nil {
		return nil, err
	}
	found := res.Accounts
	if p.Bool("following") {
		found = slices.DeleteFunc(found, func(acc ruche.Account) bool { return !acc.FollowedByViewer })
	}
	if offset >= len(found) {
		return []Account{}, nil
	}
	found = found[offset:]
	return a.accounts(found[:min(limit, len(found))]), nil
}

// accountRelationships answers for each id[] the member may know, in the order asked;
// unknown and malformed ids are left out, as Mastodon leaves out unknown ones.
func (a *API) accountRelationships(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	const maxIDs = 100 // apps ask for a page's worth of accounts at a time
	var ids []int64
	for _, s := range p.List("id") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && !slices.Contains(ids, n) {
			ids = append(ids, n)
		}
		if len(ids) == maxIDs {
			break
		}
	}
	rs, err := a.Posts.Relationships(r.Context(), u, ids)
	if err != nil {
		return nil, err
	}
	return each(rs, relationship), nil
}

// --- An account's statuses ----------------------------------------------------------

// accountStatuses is a person's profile stream, or a group's stream when the id is a
// group's, each post through the gate. only_media keeps the posts with attachments
// (not boosts, as Mastodon does); pinned finds a group's pinned posts (people pin
// nothing in Ruche); exclude_replies keeps threads (replies to oneself), as Mastodon
// does; tagged keeps the posts with that hashtag.
func (a *API) accountStatuses(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	n, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p, pg, err := pagedParams(r, 40)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	acc, err := a.Posts.AccountByID(ctx, u, n)
	if err != nil {
		return nil, err
	}
	if p.Bool("pinned") {
		if acc.Group == nil {
			return []Status{}, nil
		}
		pinned, err := a.Groups.Pinned(ctx, u, *acc.Group)
		if err != nil {
			return nil, err
		}
		if p.Bool("only_media") {
			pinned = slices.DeleteFunc(pinned, func(x ruche.Post) bool { return !hasMedia(x) })
		}
		return a.statuses(withinPage(pinned, pg)), nil
	}
	var keep []func(ruche.Post) bool
	if p.Bool("only_media") {
		keep = append(keep, hasMedia)
	}
	if p.Bool("exclude_replies") {
		keep = append(keep, func(x ruche.Post) bool { return x.InReplyToID == 0 || x.InReplyToAccountID == x.Author.ID })
	}
	if p.Bool("exclude_reblogs") {
		keep = append(keep, func(x ruche.Post) bool { return x.Reblog == nil })
	}
	if p.Has("tagged") {
		tag := richtext.NormalizeTag(strings.TrimPrefix(strings.TrimSpace(p.String("tagged")), "#"))
		if tag == "" {
			return []Status{}, nil // no post carries an empty tag
		}
		keep = append(keep, func(x ruche.Post) bool { return x.Reblog == nil && slices.Contains(x.Tags, tag) })
	}
	s := ruche.Stream{Kind: ruche.StreamProfile, AccountID: acc.ID}
	if acc.Group != nil {
		s.Kind = ruche.StreamGroup
	}
	posts, newest, oldest, err := a.filteredStream(ctx, u, s, pg, keep)
	if err != nil {
		return nil, err
	}
	a.link(w, r, newest, oldest)
	return a.statuses(posts), nil
}

// maxFilterRounds bounds how many pages of a stream one request reads to fill a page
// that its filters thin out. A page may then come back short (or empty, with a Link
// header to go on from): the price of not reading a whole profile for one request.
const maxFilterRounds = 5

// filteredStream reads a page of stream s keeping only the posts every keep accepts,
// reading further pages in the same direction while the page is not full. newest and
// oldest are the cursors for the Link header: the bounds of what was read, so that the
// next page starts past the posts left out, not among them.
func (a *API) filteredStream(ctx context.Context, u ruche.User, s ruche.Stream, pg ruche.Page,
	keep []func(ruche.Post) bool) (out []ruche.Post, newest, oldest int64, err error) {
	pg = pg.Normalize()
	want, up := pg.Limit, pg.MinID > 0 // up: the page just above min_id, read oldest first
	kept := func(x ruche.Post) bool {
		for _, k := range keep {
			if !k(x) {
				return false
			}
		}
		return true
	}
	out = []ruche.Post{}
	for round := 0; round < maxFilterRounds; round++ {
		got, err := a.Posts.Timeline(ctx, u, s, pg)
		if err != nil {
			return nil, 0, 0, err
		}
		for _, x := range got {
			newest = max(newest, x.ID)
			if oldest == 0 || x.ID < oldest {
				oldest = x.ID
			}
			if kept(x) {
				out = append(out, x)
			}
		}
		if len(keep) == 0 || len(got) < pg.Limit || len(out) >= want {
			break
		}
		if up {
			pg.MinID = got[0].ID // pages come newest first
		} else {
			pg.MaxID = got[len(got)-1].ID
		}
	}
	slices.SortFunc(out, func(x, y ruche.Post) int { return cmp.Compare(y.ID, x.ID) })
	if len(out) > want {
		if up { // keep the posts just above min_id; the next newer page starts after them
			out = out[len(out)-want:]
			newest = out[0].ID
		} else {
			out = out[:want]
			oldest = out[len(out)-1].ID
		}
	}
	return out, newest, oldest, nil
}

// withinPage applies a page's bounds to a short list already in memory (a group's
// pinned posts), newest first.
func withinPage(posts []ruche.Post, pg ruche.Page) []ruche.Post {
	pg = pg.Normalize()
	out := []ruche.Post{}
	for _, x := range posts {
		if (pg.MaxID == 0 || x.ID < pg.MaxID) && x.ID > max(pg.SinceID, pg.MinID) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(x, y ruche.Post) int { return cmp.Compare(y.ID, x.ID) })
	return out[:min(len(out), pg.Limit)]
}

// --- Followers and following --------------------------------------------------------

func (a *API) accountFollowers(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.accountPage(w, r, u, a.Posts.Followers, 40)
}

func (a *API) accountFollowing(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.accountPage(w, r, u, a.Posts.Following, 40)
}

// accountPage answers a page of the accounts list gives for the path's id (followers,
// following, who liked or boosted a post): at most 80, defaultLimit when no limit is
// asked, paged by the domain's cursor (Account.PageID: the follow's, like's or
// boost's own id, as Mastodon pages them). A list the member may not see (the members
// of a closed group they are not in) is empty, as Mastodon shows the collections an
// account hides, rather than an error apps would show.
func (a *API) accountPage(w http.ResponseWriter, r *http.Request, u ruche.User,
	list func(context.Context, ruche.User, int64, ruche.Page) ([]ruche.Account, error), defaultLimit int) (any, error) {
	n, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p, pg, err := pagedParams(r, 80)
	if err != nil {
		return nil, err
	}
	if p.String("limit") == "" {
		pg.Limit = defaultLimit
	}
	as, err := list(r.Context(), u, n, pg)
	if ruche.ErrorCode(err) == ruche.CodeForbidden {
		return []Account{}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(as) > 0 {
		a.link(w, r, as[0].PageID, as[len(as)-1].PageID)
	}
	return a.accounts(as), nil
}

// --- Following and joining ----------------------------------------------------------

func (a *API) accountFollow(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.setFollowing(r, u, true)
}

func (a *API) accountUnfollow(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.setFollowing(r, u, false)
}

// setFollowing follows or unfollows a person, or joins (asks to join, for a closed
// group; accepts an invitation) or leaves a group. reblogs, notify and languages are
// accepted and ignored: boosts always show, and a group's new-post notifications are
// set in Ruche's own pages. Following oneself is a 422, as in Mastodon.
func (a *API) setFollowing(r *http.Request, u ruche.User, on bool) (any, error) {
	if _, err := readParams(r); err != nil {
		return nil, err
	}
	acc, err := a.pathAccount(r, u)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	switch {
	case acc.Group != nil && on:
		_, err = a.Groups.Join(ctx, u, acc.Group.Handle)
	case acc.Group != nil:
		err = a.Groups.Leave(ctx, u, acc.Group.Handle)
	default:
		err = a.Posts.SetFollowing(ctx, u, acc.Username, on)
	}
	if err != nil {
		return nil, err
	}
	rs, err := a.Posts.Relationships(ctx, u, []int64{acc.ID})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		// Having left a secret group, one no longer knows of it: there is nothing
		// between them, which is what the answer says.
		return relationship(ruche.Relationship{ID: acc.ID}), nil
	}
	return relationship(rs[0]), nil
}

// --- Lists and featured tags --------------------------------------------------------

// accountLists is the member's lists that hold the account.
func (a *API) accountLists(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	acc, err := a.pathAccount(r, u)
	if err != nil {
		return nil, err
	}
	ls, err := a.Posts.ListsWith(r.Context(), u, acc.ID)
	if err != nil {
		return nil, err
	}
	return each(ls, list), nil
}

// accountFeaturedTags is empty (Ruche has no featured tags), for accounts the member
// may know.
func (a *API) accountFeaturedTags(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	if _, err := a.pathAccount(r, u); err != nil {
		return nil, err
	}
	return []any{}, nil
}

// hasMedia keeps a post with attachments of its own (only_media).
func hasMedia(x ruche.Post) bool { return x.Reblog == nil && len(x.Media) > 0 }
