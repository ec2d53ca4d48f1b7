package main

import (
	"context"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/mastoapi"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// The API side of the gate's table test (internal/postgres/visibility_test.go): the
// same small world of authors, viewers in every relation to them, and posts of every
// visibility, built through the client API where the API can build it; then, for
// every viewer and post, each way an app reads a post must answer what ruche.CanSee
// says, and the web UI must agree. It is issue 5's promise that the API hides exactly
// what the web UI hides, checked case by case.

// gateWorld is the hive of TestMastoGate.
type gateWorld struct {
	t       *testing.T
	m       *Main
	base    string
	people  []*mclient // every viewer, authors first
	group   ruche.Group
	posts   []gatePost
	follows map[[2]int64]bool // follower, followee
	inGroup map[int64]bool    // the group's members, as they end up
}

// gatePost is the ground truth about one post: what its author meant it to be.
type gatePost struct {
	id       int64
	author   *mclient
	vis      ruche.Visibility
	mentions map[int64]bool
	label    string // for test names
}

// gateWord is Mastodon's word for each visibility, as apps send it.
var gateWord = map[ruche.Visibility]string{ruche.VisCompany: "public", ruche.VisQuiet: "unlisted",
	ruche.VisFollowers: "private", ruche.VisDirect: "direct"}

// gateBuild makes the world. Like the gate's table test it has two authors (a member
// and a guest) and six viewers, following the member author or not, of each role;
// one secret group whose owner is the member author, with a guest, a follower and
// the guest author as members, one viewer invited who has not accepted, and one
// guest who posted in it and was then removed. Each author writes one post of every
// visibility mentioning nobody, two viewers, or all six. On top of the table's world
// come the posts that let the guest author address people through the API (a guest
// may mention only those who wrote to them): direct greetings to the guest author
// and replies to one of their group posts, which are cases too.
func gateBuild(t *testing.T) *gateWorld {
	t.Helper()
	ctx := context.Background()
	m, base := boot(t)
	w := &gateWorld{t: t, m: m, base: base, follows: map[[2]int64]bool{}, inGroup: map[int64]bool{}}
	author := member(t, m, base, "author", ruche.RoleMember)
	guestAuthor := member(t, m, base, "guest_author", ruche.RoleGuest)
	invited := member(t, m, base, "member_invited", ruche.RoleMember)
	guestIn := member(t, m, base, "guest_in_group", ruche.RoleGuest)
	admin := member(t, m, base, "admin", ruche.RoleAdmin)
	memberFollower := member(t, m, base, "member_follower_in_group", ruche.RoleMember)
	guestFollower := member(t, m, base, "guest_follower_removed", ruche.RoleGuest)
	adminFollower := member(t, m, base, "admin_follower", ruche.RoleAdmin)
	others := []*mclient{invited, guestIn, admin, memberFollower, guestFollower, adminFollower}
	w.people = append([]*mclient{author, guestAuthor}, others...)

	// Members follow through the API. Guests may not follow anyone (Posts.SetFollowing
	// refuses), yet a guest can be a follower (a member who followed and was then made
	// a guest), whom the rule must not show followers-only posts: that follow is made
	// in the store.
	for _, f := range []*mclient{memberFollower, adminFollower} {
		f.ok("POST", "/api/v1/accounts/"+idOf(author.user.ID)+"/follow", nil)
		w.follows[[2]int64{f.user.ID, author.user.ID}] = true
	}
	if err := m.db.store.SetFollowing(ctx, guestFollower.user.ID, author.user.ID, true); err != nil {
		t.Fatal(err)
	}
	w.follows[[2]int64{guestFollower.user.ID, author.user.ID}] = true

	// The group: created and invitations sent through the domain (the client API has no
	// word for either), invitations accepted through the API, as an app joins a group.
	groups := &ruche.Groups{Store: m.db.store}
	g, err := groups.Create(ctx, author.user, "team", ruche.GroupFields{Name: "Team", Kind: ruche.GroupSecret})
	if err != nil {
		t.Fatal(err)
	}
	w.group, w.inGroup[author.user.ID] = g, true
	for _, c := range []*mclient{guestAuthor, guestIn, memberFollower, guestFollower, invited} {
		if err := groups.Invite(ctx, author.user, "team", c.user.Username); err != nil {
			t.Fatal(err)
		}
		if c == invited {
			continue // invited, never accepted: not a member
		}
		c.ok("POST", "/api/v1/accounts/"+idOf(g.ID)+"/follow", nil)
		w.inGroup[c.user.ID] = true
	}

	// The greetings and replies that let the guest author address everyone.
	for _, c := range []*mclient{invited, admin, memberFollower, adminFollower} {
		w.write(c, ruche.VisDirect, []*mclient{guestAuthor}, 0)
	}
	first := w.write(guestAuthor, ruche.VisGroup, nil, 0)
	for _, c := range []*mclient{guestIn, guestFollower} {
		w.write(c, ruche.VisGroup, []*mclient{guestAuthor}, first.id) // a reply names its parent's author
	}
	// The guest follower, who posted in the group, is removed from it: not even their
	// own post is theirs to see any more.
	if err := groups.Remove(ctx, author.user, "team", guestFollower.user.Username); err != nil {
		t.Fatal(err)
	}
	delete(w.inGroup, guestFollower.user.ID)

	for _, a := range []*mclient{author, guestAuthor} {
		for _, vis := range ruche.AllVisibilities {
			for _, mentioned := range [][]*mclient{nil, {invited, guestFollower}, others} {
				if a == guestAuthor && vis == ruche.VisGroup && mentioned == nil {
					continue // written above, before the replies
				}
				w.write(a, vis, mentioned, 0)
			}
		}
	}
	return w
}

// write makes a post by author and records what it is meant to be. The API writes it
// when the domain lets an app write it; the rest, which exist all the same (a guest's
// company-wide posts from before they were made a guest; a direct post whose one
// addressee was since deleted, here one that mentions nobody), go to the store.
func (w *gateWorld) write(author *mclient, vis ruche.Visibility, mentioned []*mclient, replyTo int64) gatePost {
	w.t.Helper()
	p := gatePost{author: author, vis: vis, mentions: map[int64]bool{}}
	var names, handles []string
	for _, c := range mentioned {
		p.mentions[c.user.ID] = true
		names = append(names, c.user.Username)
		handles = append(handles, "@"+c.user.Username)
	}
	who := strings.Join(names, ",")
	switch {
	case len(mentioned) == 0:
		who = "none"
	case len(mentioned) == len(w.people)-2 && replyTo == 0:
		who = "all_six"
	}
	p.label = fmt.Sprintf("%s/%s/mentions=%s", author.user.Username, vis, who)
	if replyTo != 0 {
		p.label = fmt.Sprintf("%s/%s/reply", author.user.Username, vis)
	}
	byStore := author.user.Role == ruche.RoleGuest && vis != ruche.VisDirect && vis != ruche.VisGroup ||
		vis == ruche.VisDirect && len(mentioned) == 0
	text := strings.TrimSpace("#gate hello " + strings.Join(handles, " "))
	if byStore {
		p.label += "/written_in_store"
		d := ruche.PostDraft{AuthorID: author.user.ID, Visibility: vis, Source: text, HTML: "<p>" + text + "</p>",
			Tags: []string{"gate"}}
		if vis == ruche.VisGroup {
			d.GroupID = w.group.ID
		}
		for id := range p.mentions {
			d.MentionIDs = append(d.MentionIDs, id)
		}
		id, err := w.m.db.store.CreatePost(context.Background(), d)
		if err != nil {
			w.t.Fatal(err)
		}
		p.id = id
		w.posts = append(w.posts, p)
		return p
	}
	body := map[string]any{"status": text}
	switch {
	case replyTo != 0:
		body["in_reply_to_id"] = idOf(replyTo) // stays in the parent's group
	case vis == ruche.VisGroup:
		body["status"] = "@" + w.group.Handle + " " + text // how an app posts in a group
	default:
		body["visibility"] = gateWord[vis]
	}
	s := stPost(author, body)
	p.id = mustID(w.t, s.ID)
	// The world must be what it is meant to be, or the cases prove nothing.
	var got []int64
	for _, m := range s.Mentions {
		got = append(got, mustID(w.t, m.ID))
	}
	wantVis := mastoapi.Visibility(vis)
	if (vis == ruche.VisGroup) != (s.Group != nil) || s.Visibility != wantVis || len(got) != len(p.mentions) ||
		slices.ContainsFunc(got, func(id int64) bool { return !p.mentions[id] }) {
		w.t.Fatalf("%s: posted as %s in %v mentioning %v, want %s mentioning %v", p.label, s.Visibility, s.Group, got, wantVis, names)
	}
	w.posts = append(w.posts, p)
	return p
}

// relation is what the rule knows about viewer v and post p, from the world's facts.
func (w *gateWorld) relation(v *mclient, p gatePost) ruche.Relation {
	return ruche.Relation{
		Author:      v.user.ID == p.author.user.ID,
		Follower:    w.follows[[2]int64{v.user.ID, p.author.user.ID}],
		Mentioned:   p.mentions[v.user.ID],
		Guest:       v.user.Role == ruche.RoleGuest,
		GroupMember: p.vis == ruche.VisGroup && w.inGroup[v.user.ID],
		Admin:       v.user.Role == ruche.RoleAdmin,
	}
}

// gateClient is c answering to t, so that failures land in the subtest that made the
// request.
func gateClient(c *mclient, t *testing.T) *mclient {
	cc := *c
	cc.t = t
	return &cc
}

// gateStream is one stream as a viewer reads it, in the API and in the web UI: the
// posts each lists. known is false when the API answers 404 (an account the viewer
// may not know), which lists nothing; so does a web page that is not 200.
type gateStream struct {
	path, page string
	known      bool
	ids        map[int64]bool
	webStatus  int
	webIDs     map[int64]bool
}

// gateRead reads a stream through the API, in one page (the world is smaller than
// one), and its page in the web UI, every page of it.
func gateRead(t *testing.T, c *mclient, b *browser, path, page string) gateStream {
	t.Helper()
	s := gateStream{path: path, page: page, ids: map[int64]bool{}}
	s.webStatus, s.webIDs = gateWebStream(b, page)
	r := c.do("GET", path+"?limit=40", nil)
	switch r.status {
	case http.StatusNotFound:
		return s
	case http.StatusOK:
	default:
		t.Fatalf("GET %s → %d: %s", path, r.status, r.body)
	}
	s.known = true
	var ss []mastoapi.Status
	r.into(t, &ss)
	if len(ss) == 40 {
		t.Fatalf("GET %s: a full page; the world outgrew one page", path)
	}
	for _, x := range ss {
		s.ids[mustID(t, x.ID)] = true
	}
	return s
}

// TestMastoGate checks, for every viewer and post of the gate's world, that the client
// API shows the post exactly when ruche.CanSee does, whichever way an app asks, and
// that the web UI agrees.
func TestMastoGate(t *testing.T) {
	w := gateBuild(t)
	baseURL := w.m.Config.BaseURL() // links in posts, as search reads them
	cases, seen := 0, 0
	for _, v := range w.people {
		t.Run("viewer="+v.user.Username, func(t *testing.T) {
			c := gateClient(v, t)
			b := newBrowser(t, w.base)
			wantRedirect(t, b.submit("/login", "/login", url.Values{"login": {v.user.Username}, "password": {"a long password"}}), "/")
			// What the viewer may see, by the rule, and the streams they read.
			visible := map[int64]bool{}
			for _, p := range w.posts {
				visible[p.id] = ruche.CanSee(p.vis, w.relation(v, p))
			}
			home := gateRead(t, c, b, "/api/v1/timelines/home", "/")
			public := gateRead(t, c, b, "/api/v1/timelines/public", "/company")
			tag := gateRead(t, c, b, "/api/v1/timelines/tag/gate", "/tags/gate")
			group := gateRead(t, c, b, "/api/v1/accounts/"+idOf(w.group.ID)+"/statuses", "/groups/"+w.group.Handle)
			streams := []gateStream{home, public, tag, group}
			profiles := map[int64]gateStream{}
			for _, p := range w.posts {
				a := p.author.user
				if _, ok := profiles[a.ID]; !ok {
					profiles[a.ID] = gateRead(t, c, b, "/api/v1/accounts/"+idOf(a.ID)+"/statuses", "/@"+a.Username)
					streams = append(streams, profiles[a.ID])
				}
			}
			for _, p := range w.posts {
				rel := w.relation(v, p)
				want := visible[p.id]
				cases++
				if want {
					seen++
				}
				t.Run("post="+p.label, func(t *testing.T) {
					c := gateClient(v, t)
					id := idOf(p.id)
					status := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}
					wantStatus := status[want]
					check := func(method, path string) reply {
						t.Helper()
						r := c.do(method, path, nil)
						if r.status != wantStatus {
							t.Errorf("%s %s → %d, want %d (relation %+v, CanSee %v): %.300s", method, path, r.status, wantStatus, rel, want, r.body)
						}
						return r
					}
					r := check("GET", "/api/v1/statuses/"+id)
					if r.status == http.StatusOK {
						if u := stStatus(t, r).URL; u != baseURL+"/posts/"+id {
							t.Errorf("GET /api/v1/statuses/%s: url %q, want %q", id, u, baseURL+"/posts/"+id)
						}
					}
					for _, sub := range []string{"/context", "/favourited_by", "/history"} {
						check("GET", "/api/v1/statuses/"+id+sub)
					}
					// The source is for editing: the author's alone among those who see it.
					wantSrc := http.StatusNotFound
					if want {
						wantSrc = http.StatusForbidden
						if p.author.user.ID == v.user.ID {
							wantSrc = http.StatusOK
						}
					}
					if src := c.do("GET", "/api/v1/statuses/"+id+"/source", nil); src.status != wantSrc {
						t.Errorf("GET /api/v1/statuses/%s/source → %d, want %d (relation %+v)", id, src.status, wantSrc, rel)
					}
					fav := c.do("POST", "/api/v1/statuses/"+id+"/favourite", nil)
					if wantFav := status[ruche.CanDo(ruche.ActLike, p.vis, rel)]; fav.status != wantFav {
						t.Errorf("POST /api/v1/statuses/%s/favourite → %d, want %d (relation %+v): %.300s", id, fav.status, wantFav, rel, fav.body)
					}

					// Each stream lists the post exactly when the gate's table test says it should.
					author, mentioned := p.author.user.ID == v.user.ID, p.mentions[v.user.ID]
					lists := []struct {
						s  gateStream
						in bool
					}{
						{home, want && (author || w.follows[[2]int64{v.user.ID, p.author.user.ID}] ||
							p.vis == ruche.VisDirect && mentioned || p.vis == ruche.VisGroup && w.inGroup[v.user.ID])},
						{public, want && p.vis == ruche.VisCompany},
						{tag, want},
						{group, want && p.vis == ruche.VisGroup},
						{profiles[p.author.user.ID], want},
					}
					for _, st := range lists {
						switch got := st.s.ids[p.id]; {
						case got && !st.in:
							t.Errorf("GET %s lists the post; it must not (relation %+v, CanSee %v)", st.s.path, rel, want)
						case !got && st.in && !st.s.known && st.s.webStatus != http.StatusOK:
							// A guest may not know a colleague who never wrote to them,
							// even one whose group posts they read: neither the API nor
							// the web UI shows them that person's page.
						case !got && st.in && !st.s.known:
							t.Errorf("GET %s → 404, yet the web UI shows %s (%d) and the viewer may see the post", st.s.path, st.s.page, st.s.webStatus)
						case !got && st.in:
							t.Errorf("GET %s leaves out the post; it should list it (relation %+v)", st.s.path, rel)
						}
					}

					// Search by the post's link finds it exactly when it may be seen.
					q := url.Values{"q": {baseURL + "/posts/" + id}, "type": {"statuses"}}
					var res mastoapi.SearchResults
					c.get("/api/v2/search?"+q.Encode(), &res)
					found := slices.ContainsFunc(res.Statuses, func(s mastoapi.Status) bool { return s.ID == id })
					if found != want {
						t.Errorf("GET /api/v2/search?q=<its link> finds it: %v, want %v (relation %+v)", found, want, rel)
					}

					// The web UI shows the post exactly when the API does.
					if pg := gateBrowser(b, t).get("/posts/" + id); pg.status != r.status {
						t.Errorf("web GET /posts/%s → %d, API → %d (CanSee %v)", id, pg.status, r.status, want)
					}
				})
			}
			for _, st := range streams {
				for n := range st.ids {
					if !slices.ContainsFunc(w.posts, func(p gatePost) bool { return p.id == n }) {
						t.Errorf("GET %s lists post %d, which is not of this world", st.path, n)
					}
				}
				// Each stream lists in the API what its page lists in the web UI, and a
				// page is there exactly when the API knows its account.
				if st.known != (st.webStatus == http.StatusOK) {
					t.Errorf("web %s → %d; API %s known: %v", st.page, st.webStatus, st.path, st.known)
				}
				if !maps.Equal(st.webIDs, st.ids) {
					t.Errorf("web %s (%d) lists %v; API %s lists %v", st.page, st.webStatus, gateSorted(st.webIDs), st.path, gateSorted(st.ids))
				}
			}
		})
	}
	t.Logf("%d viewers × %d posts: %d cases, %d visible", len(w.people), len(w.posts), cases, seen)
	// Both outcomes must occur often, or the test proves nothing.
	if cases != len(w.people)*len(w.posts) || seen < cases/4 || seen > cases*3/4 {
		t.Fatalf("%d cases, %d visible: the world is too lopsided to test the gate", cases, seen)
	}
}

var gateOlderRE = regexp.MustCompile(`<a href="([^"]*[?&](?:amp;)?max_id=\d+[^"]*)"`)

// gateWebStream reads every page of a stream in the web UI: its status and the posts
// it lists (none unless 200).
func gateWebStream(b *browser, path string) (int, map[int64]bool) {
	b.t.Helper()
	ids := map[int64]bool{}
	p := b.get(path)
	status := p.status
	for p.status == http.StatusOK {
		for _, m := range postIDRE.FindAllStringSubmatch(p.body, -1) {
			ids[mustID(b.t, m[1])] = true
		}
		m := gateOlderRE.FindStringSubmatch(p.body)
		if m == nil {
			break
		}
		p = b.get(html.UnescapeString(m[1]))
	}
	return status, ids
}

// gateSorted lists a set of ids in order, for messages.
func gateSorted(ids map[int64]bool) []int64 {
	return slices.Sorted(maps.Keys(ids))
}

// gateBrowser is b answering to t.
func gateBrowser(b *browser, t *testing.T) *browser {
	bb := *b
	bb.t = t
	return &bb
}
