package seed

import (
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/richtext"
	"github.com/ruche-hive/ruche/internal/ruche"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func generate(t *testing.T, users, groups, posts int) *postgres.SeedPlan {
	t.Helper()
	p, err := Generate(Options{Users: users, Groups: groups, Posts: posts, Seed: 7, BaseURL: "https://hive.example", PasswordHash: "x", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanFollowsTheRules checks a generated hive against the domain's rules, as if
// every post had been written through ruche.Posts.
func TestPlanFollowsTheRules(t *testing.T) {
	p := generate(t, 300, 30, 20000)
	username := regexp.MustCompile(`^[a-z0-9_]{1,30}$`)
	names, ids := map[string]bool{}, map[int64]ruche.Role{}
	for _, a := range p.Accounts {
		if !username.MatchString(a.Username) || names[a.Username] {
			t.Errorf("username %q is invalid or taken twice", a.Username)
		}
		names[a.Username], ids[a.ID] = true, a.Role
		if a.ID>>16 != a.CreatedAt.UnixMilli() {
			t.Errorf("account id %d does not embed its time %v", a.ID, a.CreatedAt)
		}
	}
	follows := map[[2]int64]bool{}
	for _, f := range p.Follows {
		if f.Follower == f.Followee || follows[[2]int64{f.Follower, f.Followee}] {
			t.Errorf("follow %d → %d is to oneself or twice", f.Follower, f.Followee)
		}
		follows[[2]int64{f.Follower, f.Followee}] = true
	}
	mentions := map[int64][]int64{}
	for _, m := range p.Mentions {
		mentions[m.A] = append(mentions[m.A], m.B)
	}
	member := map[[2]int64]bool{} // group, account
	for _, m := range p.Members {
		member[[2]int64{m.GroupID, m.AccountID}] = m.State == ruche.StateMember
	}
	rel := func(viewer int64, q postgres.SeedPost) ruche.Relation {
		return ruche.Relation{Author: q.AccountID == viewer, Follower: follows[[2]int64{viewer, q.AccountID}],
			Mentioned: slices.Contains(mentions[q.ID], viewer), Guest: ids[viewer] == ruche.RoleGuest,
			GroupMember: member[[2]int64{q.GroupID, viewer}], Admin: ids[viewer] == ruche.RoleAdmin}
	}
	byID := map[int64]postgres.SeedPost{}
	vis := map[ruche.Visibility]int{}
	var written, replies, boosts, events int
	boosted := map[[2]int64]bool{}
	for i, q := range p.Posts {
		if _, dup := byID[q.ID]; dup || q.ID>>16 != q.CreatedAt.UnixMilli() {
			t.Fatalf("post %d: id twice or not embedding its time", q.ID)
		}
		if i > 0 && q.CreatedAt.Before(p.Posts[i-1].CreatedAt) || !q.CreatedAt.Before(now) || now.Sub(q.CreatedAt) > Span+time.Hour {
			t.Errorf("post %d at %v is out of order or out of the span", q.ID, q.CreatedAt)
		}
		byID[q.ID] = q
		if q.ReblogOfID != 0 {
			boosts++
			o, ok := byID[q.ReblogOfID]
			key := [2]int64{q.AccountID, q.ReblogOfID}
			if !ok || o.ReblogOfID != 0 || o.Visibility != q.Visibility || boosted[key] || !ruche.CanDo(ruche.ActBoost, o.Visibility, rel(q.AccountID, o)) {
				t.Errorf("boost %d of %+v breaks the rules", q.ID, o)
			}
			boosted[key] = true
			continue
		}
		written++
		vis[q.Visibility]++
		if q.Visibility == ruche.VisDirect && len(mentions[q.ID]) == 0 {
			t.Errorf("direct post %d mentions nobody", q.ID)
		}
		if ids[q.AccountID] == ruche.RoleGuest && q.Visibility != ruche.VisDirect && q.Visibility != ruche.VisGroup {
			t.Errorf("guest post %d is %s", q.ID, q.Visibility)
		}
		if (q.Visibility == ruche.VisGroup) != (q.GroupID != 0) || q.GroupID != 0 && !member[[2]int64{q.GroupID, q.AccountID}] {
			t.Errorf("post %d (%s) in group %d: not a group post, or not by a member", q.ID, q.Visibility, q.GroupID)
		}
		for _, m := range mentions[q.ID] {
			if q.GroupID != 0 && !member[[2]int64{q.GroupID, m}] {
				t.Errorf("group post %d names %d, who is not a member", q.ID, m)
			}
		}
		if q.Event != nil {
			events++
		}
		if q.InReplyToID == 0 {
			continue
		}
		replies++
		parent, ok := byID[q.InReplyToID]
		if !ok || parent.AccountID != q.InReplyToAccountID || !ruche.CanDo(ruche.ActReply, parent.Visibility, rel(q.AccountID, parent)) {
			t.Errorf("reply %d to %d: parent unknown, wrong author, or not visible to the replier", q.ID, q.InReplyToID)
		}
		if q.GroupID != parent.GroupID {
			t.Errorf("reply %d (group %d) to %d (group %d) left or entered a group", q.ID, q.GroupID, parent.ID, parent.GroupID)
		}
		if ruche.NarrowerOf(q.Visibility, parent.Visibility) != q.Visibility {
			t.Errorf("reply %d (%s) is wider than its parent (%s)", q.ID, q.Visibility, parent.Visibility)
		}
		if q.AccountID != parent.AccountID && !slices.Contains(mentions[q.ID], parent.AccountID) {
			t.Errorf("reply %d does not mention the parent's author", q.ID)
		}
	}
	for _, l := range p.Likes {
		q := byID[l.PostID]
		if !ruche.CanDo(ruche.ActLike, q.Visibility, rel(l.AccountID, q)) || q.GroupID != 0 && !member[[2]int64{q.GroupID, l.AccountID}] {
			t.Errorf("like of %d by %d breaks the rules", l.PostID, l.AccountID)
		}
	}
	share := func(n int) float64 { return float64(n) / float64(written) }
	if written != 20000 || share(replies) < 0.18 || share(replies) > 0.27 || share(boosts) < 0.02 || events == 0 ||
		share(vis[ruche.VisCompany]) < 0.5 || share(vis[ruche.VisDirect]) < 0.02 || share(vis[ruche.VisFollowers]) < 0.04 ||
		share(vis[ruche.VisGroup]) < 0.2 || share(vis[ruche.VisGroup]) > 0.3 {
		t.Errorf("%d posts, %d replies, %d boosts, %d events, visibilities %v: not the mix asked for", written, replies, boosts, events, vis)
	}
	seen := map[int64]bool{}
	for _, n := range p.Notifications {
		if seen[n.ID] || n.AccountID == n.FromID {
			t.Errorf("notification %+v: id twice or about oneself", n)
		}
		seen[n.ID] = true
		if n.PostID != 0 && byID[n.PostID].GroupID != 0 && !member[[2]int64{byID[n.PostID].GroupID, n.AccountID}] {
			t.Errorf("notification %+v about a group post goes to a non-member", n)
		}
	}
	if len(p.Likes) < written/2 || len(p.PostTags) < written/4 || len(p.Notifications) < len(p.Mentions)/2 {
		t.Errorf("too few likes, tags or notifications: %s", Summary(p))
	}
}

// TestHTMLMatchesRenderer checks the shortcut of text.go: a seeded post's HTML,
// mentions and tags are what ruche.Posts would have stored for its source.
func TestHTMLMatchesRenderer(t *testing.T) {
	p := generate(t, 200, 10, 4000)
	base := "https://hive.example"
	opts := richtext.Options{
		Mention: func(u string) (string, bool) { return base + "/@" + u, true },
		TagURL:  func(tag string) string { return base + "/tags/" + url.PathEscape(tag) },
	}
	usernames := map[int64]string{}
	for _, a := range p.Accounts {
		usernames[a.ID] = a.Username
	}
	tagNames := map[int64]string{}
	for _, tg := range p.Tags {
		tagNames[tg.ID] = tg.Name
	}
	mentions, tags := map[int64][]string{}, map[int64][]string{}
	for _, m := range p.Mentions {
		mentions[m.A] = append(mentions[m.A], usernames[m.B])
	}
	for _, pt := range p.PostTags {
		tags[pt.A] = append(tags[pt.A], tagNames[pt.B])
	}
	kinds := map[string]bool{}
	for _, q := range p.Posts {
		if q.ReblogOfID != 0 {
			continue
		}
		r := richtext.Render(q.Source, opts)
		if r.HTML != q.HTML {
			t.Fatalf("post %q:\n got %s\nwant %s", q.Source, q.HTML, r.HTML)
		}
		if !slices.Equal(r.Mentions, mentions[q.ID]) || !slices.Equal(r.Tags, tags[q.ID]) {
			t.Errorf("post %q: mentions %v and tags %v stored, %v and %v rendered", q.Source, mentions[q.ID], tags[q.ID], r.Mentions, r.Tags)
		}
		kinds[string(q.Visibility)] = true
	}
	if len(kinds) != 5 {
		t.Errorf("only visibilities %v checked", kinds)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := generate(t, 100, 5, 500), generate(t, 100, 5, 500)
	if Summary(a) != Summary(b) || a.Posts[len(a.Posts)-1].Source != b.Posts[len(b.Posts)-1].Source ||
		a.Accounts[50].Username != b.Accounts[50].Username {
		t.Errorf("two runs with one seed differ: %s / %s", Summary(a), Summary(b))
	}
}

// TestGroups checks the groups of a generated hive: how many, of what kinds and sizes,
// with one owner and at most three moderators each, requests only to closed groups
// and invitations only to secret ones, and their notifications.
func TestGroups(t *testing.T) {
	p := generate(t, 2000, 100, 20000)
	names := map[string]bool{}
	for _, a := range p.Accounts {
		names[a.Username] = true
	}
	username := regexp.MustCompile(`^[a-z0-9_]{1,30}$`)
	kinds := map[ruche.GroupKind]int{}
	byID := map[int64]postgres.SeedGroup{}
	for _, g := range p.Groups {
		if !username.MatchString(g.Handle) || names[g.Handle] || g.Name == "" || g.Description == "" || !g.Kind.Valid() {
			t.Errorf("group %+v: bad or taken handle, no name, description or kind", g)
		}
		names[g.Handle], byID[g.ID] = true, g
		kinds[g.Kind]++
	}
	if len(p.Groups) != 100 || kinds[ruche.GroupOpen] < 50 || kinds[ruche.GroupOpen] > 70 || kinds[ruche.GroupClosed] < 20 ||
		kinds[ruche.GroupClosed] > 40 || kinds[ruche.GroupSecret] < 5 || kinds[ruche.GroupSecret] > 15 {
		t.Errorf("%d groups, kinds %v, want 100, about 60%% open, 30%% closed, 10%% secret", len(p.Groups), kinds)
	}
	type standing struct {
		state ruche.MembershipState
		role  ruche.GroupRole
	}
	in := map[[2]int64]standing{}
	size, owners, mods := map[int64]int{}, map[int64]int{}, map[int64]int{}
	pending := map[ruche.GroupKind]map[ruche.MembershipState]int{}
	for _, m := range p.Members {
		key := [2]int64{m.GroupID, m.AccountID}
		g, ok := byID[m.GroupID]
		if _, twice := in[key]; twice || !ok {
			t.Fatalf("membership %+v: twice or in no group", m)
		}
		in[key] = standing{m.State, m.Role}
		switch {
		case m.State != ruche.StateMember:
			if pending[g.Kind] == nil {
				pending[g.Kind] = map[ruche.MembershipState]int{}
			}
			pending[g.Kind][m.State]++
		case m.Role == ruche.GroupOwner:
			owners[m.GroupID]++
		case m.Role == ruche.GroupModerator:
			mods[m.GroupID]++
		}
		if m.State == ruche.StateMember {
			size[m.GroupID]++
		}
	}
	var sizes []int
	for _, g := range p.Groups {
		if owners[g.ID] != 1 || mods[g.ID] > 3 || in[[2]int64{g.ID, g.CreatedBy}].role != ruche.GroupOwner {
			t.Errorf("group %s: %d owners (creator %+v), %d moderators", g.Handle, owners[g.ID], in[[2]int64{g.ID, g.CreatedBy}], mods[g.ID])
		}
		sizes = append(sizes, size[g.ID])
	}
	slices.Sort(sizes)
	if big, median := sizes[len(sizes)-1], sizes[len(sizes)/2]; big < 400 || median > 40 || big < 15*median {
		t.Errorf("group sizes %v: want a few big ones and many small ones", sizes)
	}
	if pending[ruche.GroupClosed][ruche.StateRequested] == 0 || pending[ruche.GroupSecret][ruche.StateInvited] == 0 ||
		len(pending[ruche.GroupOpen]) > 0 || pending[ruche.GroupClosed][ruche.StateInvited] > 0 || pending[ruche.GroupSecret][ruche.StateRequested] > 0 {
		t.Errorf("pending memberships by kind %v: want requests to closed groups and invitations to secret ones only", pending)
	}
	notes := map[ruche.NotificationKind]int{}
	for _, n := range p.Notifications {
		if n.GroupID == 0 {
			continue
		}
		notes[n.Kind]++
		s := in[[2]int64{n.GroupID, n.AccountID}]
		switch n.Kind {
		case ruche.NotifyGroupRequest:
			if s.state != ruche.StateMember || !s.role.Moderates() || in[[2]int64{n.GroupID, n.FromID}].state != ruche.StateRequested {
				t.Errorf("join request %+v: not to a moderator, or from nobody who asked", n)
			}
		case ruche.NotifyGroupInvite:
			if s.state != ruche.StateInvited || !in[[2]int64{n.GroupID, n.FromID}].role.Moderates() {
				t.Errorf("invitation %+v: not to the invitee, or not from a moderator", n)
			}
		default:
			t.Errorf("notification %+v has a group", n)
		}
	}
	if notes[ruche.NotifyGroupRequest] == 0 || notes[ruche.NotifyGroupInvite] == 0 {
		t.Errorf("group notifications %v: want requests and invitations", notes)
	}
}

func TestAsciiName(t *testing.T) {
	for in, want := range map[string]string{"Amélie": "amelie", "O'Brien": "obrien", "Min-jun": "minjun", "Müller": "muller", "João": "joao"} {
		if got := asciiName(in); got != want {
			t.Errorf("asciiName(%q) = %q, want %q", in, got, want)
		}
	}
}
