// Package seed makes up a realistic hive for development and measurement: members
// with names, titles, departments and bios, skewed follows, open, closed and secret
// groups of very different sizes, two years of posts with the usual mix of
// visibilities (a quarter of them in groups), mentions, tags, replies, likes, boosts
// and events, and the notifications they cause (ruche dev seed). Every post obeys
// the domain's rules (ruche.CanDo), so the streams built from it are the ones real use
// would give. It also measures how fast those streams are built (bench.go, ruche dev
// bench).
package seed

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Options say what to make up.
type Options struct {
	Users, Posts int       // members, and posts written (boosts come on top, about 4%)
	Groups       int       // groups (DefaultGroups is the usual number); 0: none
	Seed         uint64    // the same seed and Now give the same hive
	BaseURL      string    // for mention and tag links, as ruche.Posts renders them
	PasswordHash string    // every member's, so that all can sign in with one password
	Now          time.Time // everything happens in the Span before it; zero: time.Now()
}

// Span is how far back the posts go.
const Span = 2 * 365 * 24 * time.Hour

const (
	replyShare = 0.25 // of posts written
	boostShare = 0.04 // boosts per post written
)

// gen is one generation's state. People and posts are referred to by their index in
// plan.Accounts and plan.Posts.
type gen struct {
	o          Options
	r          *rand.Rand
	start, end time.Time
	plan       *postgres.SeedPlan
	texts      *texts

	people                  []person
	deptMembers             [][]int32
	following               map[uint64]bool // pair(follower, followee)
	followees, followers    [][]int32
	popular, posting, staff *weighted
	postingW                []float64 // how much each person posts, relatively

	groups    []group
	member    map[uint64]bool // pair(person, group index), for members only
	groupPick *weighted       // which group a group post goes to

	posts    []post
	boosted  map[uint64]bool // pair(booster, post)
	tagIDs   []int64         // by tagWords index, 0 until first used
	tagPick  *weighted
	replyLag float64 // how many posts back a reply's parent is, on average
	notes    []note
	values   [numSlots]string // the slots of the post being written
	likedBy  []int            // the likers of the post being liked
}

// post is what the rules need to know about a row of plan.Posts.
type post struct {
	author   int32
	group    int32 // 1 + index in g.groups; 0: not a group post
	vis      ruche.Visibility
	boost    bool
	mentions []int32
}

// note is a notification before it gets its id.
type note struct {
	at          time.Time
	to, from    int32
	kind        ruche.NotificationKind
	post, group int64
}

// Generate makes up a hive. It fails only on a template that does not render as
// expected (a bug) or on impossible options.
func Generate(o Options) (*postgres.SeedPlan, error) {
	if o.Users < 2 || o.Posts < 0 || o.Groups < 0 {
		return nil, errors.New("seed: need at least 2 users and no negative number of posts or groups")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	g := &gen{o: o, r: rand.New(rand.NewPCG(o.Seed, 0x5eed)), plan: &postgres.SeedPlan{PasswordHash: o.PasswordHash},
		texts: newTexts(o.BaseURL), boosted: map[uint64]bool{}, tagIDs: make([]int64, len(tagWords))}
	g.end = o.Now.Add(-time.Minute).Truncate(time.Millisecond)
	g.start = g.end.Add(-Span)
	zipf := make([]float64, len(tagWords))
	for i := range zipf {
		zipf[i] = 1 / float64(i+1)
	}
	g.tagPick = newWeighted(zipf)
	g.replyLag = max(3, float64(o.Posts)/(2*365*4)) // about six hours of posts
	g.makePeople()
	g.makeFollows()
	g.makeGroups()
	if err := g.makePosts(); err != nil {
		return nil, err
	}
	g.makeNotifications()
	return g.plan, nil
}

// makePosts writes the posts and boosts in time order, so that replies and boosts
// always point back at posts that exist.
func (g *gen) makePosts() error {
	boosts := int(math.Round(float64(g.o.Posts) * boostShare))
	slots := g.times(g.o.Posts + boosts)
	g.plan.Posts = make([]postgres.SeedPost, 0, len(slots))
	g.posts = make([]post, 0, len(slots))
	written := 0
	for i, at := range slots {
		left := len(slots) - i
		if (written == g.o.Posts || g.r.IntN(left) < boosts) && g.boost(i, at) {
			boosts--
			continue
		}
		if written == g.o.Posts {
			continue
		}
		written++
		ok := false
		if g.r.Float64() < replyShare {
			var err error
			if ok, err = g.reply(i, at); err != nil {
				return err
			}
		}
		if !ok {
			if err := g.original(i, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// times returns n instants in the span, sorted, weighted to office hours on weekdays.
func (g *gen) times(n int) []time.Time {
	hour := [24]float64{.02, .01, .01, .01, .01, .02, .05, .2, .6, 1, 1, 1, .7, .7, .95, .95, .95, .9, .5, .3, .15, .1, .05, .03}
	ms := make([]int64, 0, n)
	from, width := g.start.UnixMilli(), g.end.UnixMilli()-g.start.UnixMilli()
	for len(ms) < n {
		t := from + g.r.Int64N(width)
		tt := time.UnixMilli(t).UTC()
		w := hour[tt.Hour()]
		if d := tt.Weekday(); d == time.Saturday || d == time.Sunday {
			w *= 0.07
		}
		if g.r.Float64() < w {
			ms = append(ms, t)
		}
	}
	slices.Sort(ms)
	out := make([]time.Time, n)
	for i, t := range ms {
		out[i] = time.UnixMilli(t)
	}
	return out
}

// idAt is next_id()'s format: milliseconds since the epoch, then a 16-bit sequence.
// Callers pass times in order and a counter, so ids are unique.
func idAt(t time.Time, seq int) int64 { return t.UnixMilli()<<16 | int64(seq&0xffff) }

func pair(a, b int) uint64 { return uint64(a)<<32 | uint64(uint32(b)) }

// relation is what the rule needs to know about person v and post j.
func (g *gen) relation(v, j int) ruche.Relation {
	p := g.posts[j]
	return ruche.Relation{
		Author:      int(p.author) == v,
		Follower:    g.following[pair(v, int(p.author))],
		Mentioned:   slices.Contains(p.mentions, int32(v)),
		Guest:       g.people[v].guest,
		GroupMember: g.isMember(v, p.group),
		Admin:       g.people[v].admin,
	}
}

// visibility draws a post's audience: mostly the company.
func (g *gen) visibility() ruche.Visibility {
	switch x := g.r.IntN(100); {
	case x < 80:
		return ruche.VisCompany
	case x < 88:
		return ruche.VisQuiet
	case x < 96:
		return ruche.VisFollowers
	}
	return ruche.VisDirect
}

// earlier returns a recent post that is not a boost, or -1 if none came up.
func (g *gen) earlier() int {
	for range 6 {
		j := len(g.posts) - 1 - int(g.r.ExpFloat64()*g.replyLag)
		if j >= 0 && !g.posts[j].boost {
			return j
		}
	}
	return -1
}

// boost has someone boost a recent post, as the rules allow.
func (g *gen) boost(i int, at time.Time) bool {
	booster := g.staff.pick(g.r)
	for range 6 {
		j := g.earlier()
		if j < 0 {
			return false
		}
		o := g.posts[j]
		if int(o.author) == booster || g.boosted[pair(booster, j)] || !ruche.CanDo(ruche.ActBoost, o.vis, g.relation(booster, j)) {
			continue
		}
		g.boosted[pair(booster, j)] = true
		// A group post's boost stays in its group.
		g.posts = append(g.posts, post{author: int32(booster), group: o.group, vis: o.vis, boost: true})
		g.plan.Posts = append(g.plan.Posts, postgres.SeedPost{ID: idAt(at, i), AccountID: g.people[booster].id,
			Visibility: o.vis, ReblogOfID: g.plan.Posts[j].ID, GroupID: g.plan.Posts[j].GroupID, CreatedAt: at})
		g.note(at, int(o.author), ruche.NotifyBoost, booster, g.plan.Posts[j].ID)
		return true
	}
	return false
}

// makeNotifications gives the notifications ids in time order; those older than three
// days have been read.
func (g *gen) makeNotifications() {
	sort.SliceStable(g.notes, func(a, b int) bool { return g.notes[a].at.Before(g.notes[b].at) })
	g.plan.Notifications = make([]postgres.SeedNotification, len(g.notes))
	for k, n := range g.notes {
		g.plan.Notifications[k] = postgres.SeedNotification{ID: idAt(n.at, k), AccountID: g.people[n.to].id, Kind: n.kind,
			FromID: g.people[n.from].id, PostID: n.post, GroupID: n.group, At: n.at, Read: g.end.Sub(n.at) > 72*time.Hour}
	}
	g.notes = nil
}

// note records a notification, as the store's notify does: nobody about themself.
func (g *gen) note(at time.Time, to int, kind ruche.NotificationKind, from int, postID int64) {
	if to != from {
		g.notes = append(g.notes, note{at: at, to: int32(to), from: int32(from), kind: kind, post: postID})
	}
}

// weighted picks indices in proportion to their weights.
type weighted struct{ cum []float64 }

func newWeighted(w []float64) *weighted {
	cum := make([]float64, len(w))
	total := 0.0
	for i, x := range w {
		total += x
		cum[i] = total
	}
	return &weighted{cum: cum}
}

func (w *weighted) pick(r *rand.Rand) int {
	x := r.Float64() * w.cum[len(w.cum)-1]
	return min(sort.SearchFloat64s(w.cum, x), len(w.cum)-1)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// poisson draws a count with mean m (normal approximation for large means).
func poisson(r *rand.Rand, m float64) int {
	if m > 30 {
		return max(0, int(math.Round(m+r.NormFloat64()*math.Sqrt(m))))
	}
	l, k, p := math.Exp(-m), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
