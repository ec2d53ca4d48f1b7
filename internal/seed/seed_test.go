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

func generate(t *testing.T, users, posts int) *postgres.SeedPlan {
	t.Helper()
	p, err := Generate(Options{Users: users, Posts: posts, Seed: 7, BaseURL: "https://hive.example", PasswordHash: "x", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanFollowsTheRules checks a generated hive against the domain's rules, as if
// every post had been written through ruche.Posts.
func TestPlanFollowsTheRules(t *testing.T) {
	p := generate(t, 300, 20000)
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
	rel := func(viewer int64, q postgres.SeedPost) ruche.Relation {
		return ruche.Relation{Author: q.AccountID == viewer, Follower: follows[[2]int64{viewer, q.AccountID}],
			Mentioned: slices.Contains(mentions[q.ID], viewer), Guest: ids[viewer] == ruche.RoleGuest}
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
		if ids[q.AccountID] == ruche.RoleGuest && q.Visibility != ruche.VisDirect {
			t.Errorf("guest post %d is %s", q.ID, q.Visibility)
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
		if ruche.NarrowerOf(q.Visibility, parent.Visibility) != q.Visibility {
			t.Errorf("reply %d (%s) is wider than its parent (%s)", q.ID, q.Visibility, parent.Visibility)
		}
		if q.AccountID != parent.AccountID && !slices.Contains(mentions[q.ID], parent.AccountID) {
			t.Errorf("reply %d does not mention the parent's author", q.ID)
		}
	}
	for _, l := range p.Likes {
		if q := byID[l.PostID]; !ruche.CanDo(ruche.ActLike, q.Visibility, rel(l.AccountID, q)) {
			t.Errorf("like of %d by %d breaks the rules", l.PostID, l.AccountID)
		}
	}
	share := func(n int) float64 { return float64(n) / float64(written) }
	if written != 20000 || share(replies) < 0.18 || share(replies) > 0.27 || share(boosts) < 0.02 || events == 0 ||
		share(vis[ruche.VisCompany]) < 0.7 || share(vis[ruche.VisDirect]) < 0.03 || share(vis[ruche.VisFollowers]) < 0.05 {
		t.Errorf("%d posts, %d replies, %d boosts, %d events, visibilities %v: not the mix asked for", written, replies, boosts, events, vis)
	}
	seen := map[int64]bool{}
	for _, n := range p.Notifications {
		if seen[n.ID] || n.AccountID == n.FromID {
			t.Errorf("notification %+v: id twice or about oneself", n)
		}
		seen[n.ID] = true
	}
	if len(p.Likes) < written/2 || len(p.PostTags) < written/4 || len(p.Notifications) < len(p.Mentions)/2 {
		t.Errorf("too few likes, tags or notifications: %s", Summary(p))
	}
}

// TestHTMLMatchesRenderer checks the shortcut of text.go: a seeded post's HTML,
// mentions and tags are what ruche.Posts would have stored for its source.
func TestHTMLMatchesRenderer(t *testing.T) {
	p := generate(t, 200, 4000)
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
	if len(kinds) != 4 {
		t.Errorf("only visibilities %v checked", kinds)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := generate(t, 100, 500), generate(t, 100, 500)
	if Summary(a) != Summary(b) || a.Posts[len(a.Posts)-1].Source != b.Posts[len(b.Posts)-1].Source ||
		a.Accounts[50].Username != b.Accounts[50].Username {
		t.Errorf("two runs with one seed differ: %s / %s", Summary(a), Summary(b))
	}
}

func TestAsciiName(t *testing.T) {
	for in, want := range map[string]string{"Amélie": "amelie", "O'Brien": "obrien", "Min-jun": "minjun", "Müller": "muller", "João": "joao"} {
		if got := asciiName(in); got != want {
			t.Errorf("asciiName(%q) = %q, want %q", in, got, want)
		}
	}
}
