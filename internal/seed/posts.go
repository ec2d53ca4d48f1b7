package seed

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// draft is a post about to be written.
type draft struct {
	author    int
	group     int32 // 1 + index in g.groups; 0: not a group post
	vis       ruche.Visibility
	kind      textKind
	parent    int   // index in g.posts, -1 for none
	addressed []int // people named at the start
	named     int   // how many more people to name in the text
	tags      int
	event     *ruche.Event
	spoiler   string
}

// original writes a post that answers nothing: a quarter of them in a group.
func (g *gen) original(i int, at time.Time) error {
	if len(g.groups) > 0 && g.r.Float64() < groupShare {
		return g.groupOriginal(i, at)
	}
	d := draft{author: g.posting.pick(g.r), parent: -1}
	d.vis = g.visibility()
	if g.people[d.author].guest {
		d.vis = ruche.VisDirect // the rules let guests write nothing else
	}
	switch d.vis {
	case ruche.VisCompany, ruche.VisQuiet:
		d.kind = kindCompany
		if d.vis == ruche.VisCompany && g.r.IntN(1000) < 5 {
			d.kind, d.event = kindEvent, g.event(at)
		}
		if g.r.IntN(100) < 20 {
			d.named = 1 + g.r.IntN(2)
		}
	case ruche.VisFollowers:
		d.kind = kindFollowers
		if g.r.IntN(100) < 20 {
			d.named = 1
		}
	case ruche.VisDirect:
		d.kind = kindDirect
		for range 1 + g.r.IntN(2) {
			if c := g.colleague(d.author, d.addressed); c >= 0 {
				d.addressed = append(d.addressed, c)
			}
		}
		if len(d.addressed) == 0 {
			return nil // nobody to write to; rare enough to leave a gap
		}
	}
	if d.vis != ruche.VisDirect && g.r.IntN(100) < 45 {
		d.tags = 1 + min(2, int(g.r.ExpFloat64()*0.6))
	}
	if d.kind != kindDirect && g.r.IntN(100) < 1 {
		d.spoiler = pick(g.r, spoilers)
	}
	return g.write(i, at, d)
}

// groupOriginal writes a post in a group, the busier groups more often, by one of its
// members (those who post more, more often), naming other members only.
func (g *gen) groupOriginal(i int, at time.Time) error {
	k := g.groupPick.pick(g.r)
	gr := &g.groups[k]
	d := draft{author: int(gr.members[gr.posting.pick(g.r)]), group: int32(k + 1), vis: ruche.VisGroup, kind: kindGroup, parent: -1}
	if g.r.IntN(1000) < 5 {
		d.kind, d.event = kindEvent, g.event(at)
	}
	if g.r.IntN(100) < 20 {
		d.named = min(1+g.r.IntN(2), len(gr.members)-1)
	}
	if g.r.IntN(100) < 35 {
		d.tags = 1 + min(2, int(g.r.ExpFloat64()*0.6))
	}
	if g.r.IntN(100) < 1 {
		d.spoiler = pick(g.r, spoilers)
	}
	return g.write(i, at, d)
}

// reply answers a recent post as someone who may: the people it mentions, the
// author's followers, or anyone when it is company-wide; in a group, its members only.
// It is as narrow as its parent or narrower (in a group, it stays there), and addresses the parent's author and, in a private conversation,
// everyone else in it. It reports false when no fitting parent came up.
func (g *gen) reply(i int, at time.Time) (bool, error) {
	for range 4 {
		j := g.earlier()
		if j < 0 {
			return false, nil
		}
		p := g.posts[j]
		author := int(p.author)
		switch x := g.r.IntN(100); {
		case x < 15:
		case x < 40 && len(p.mentions) > 0:
			author = int(pick(g.r, p.mentions))
		case p.group > 0: // only members answer in a group
			gr := &g.groups[p.group-1]
			author = int(gr.members[gr.posting.pick(g.r)])
		case x < 75 && len(g.followers[p.author]) > 0:
			author = int(pick(g.r, g.followers[p.author]))
		default:
			author = g.staff.pick(g.r)
		}
		if !ruche.CanDo(ruche.ActReply, p.vis, g.relation(author, j)) || p.group > 0 && !g.isMember(author, p.group) {
			continue
		}
		// A reply in a group stays in the group; elsewhere it may be narrower than its
		// parent, and a guest's is direct.
		d := draft{author: author, parent: j, kind: kindReply, vis: p.vis, group: p.group}
		if p.group == 0 && g.r.IntN(100) < 10 {
			d.vis = ruche.NarrowerOf(g.visibility(), p.vis)
		}
		if p.group == 0 && g.people[author].guest {
			d.vis = ruche.VisDirect
		}
		if int(p.author) != author {
			d.addressed = append(d.addressed, int(p.author))
		}
		private := d.vis == ruche.VisFollowers || d.vis == ruche.VisDirect
		for _, m := range p.mentions {
			if int(m) != author && !slices.Contains(d.addressed, int(m)) && len(d.addressed) < 4 && (private || g.r.IntN(100) < 15) {
				d.addressed = append(d.addressed, int(m))
			}
		}
		if d.vis == ruche.VisDirect && len(d.addressed) == 0 {
			continue
		}
		if !private && g.r.IntN(100) < 10 {
			d.named = 1
			if p.group > 0 && len(g.groups[p.group-1].members) < 2+len(d.addressed) {
				d.named = 0 // nobody left in the group to name
			}
		}
		if g.r.IntN(100) < 10 {
			d.tags = 1
		}
		return true, g.write(i, at, d)
	}
	return false, nil
}

// colleague returns someone for author to write to: mostly people they follow,
// otherwise someone of their department; never themself, a guest or anyone in not.
// -1 if none came up.
func (g *gen) colleague(author int, not []int) int {
	for range 6 {
		var c int
		if fs := g.followees[author]; len(fs) > 0 && (g.r.IntN(100) < 70 || g.people[author].guest) {
			c = int(pick(g.r, fs))
		} else if dept := g.people[author].dept; dept >= 0 {
			c = int(pick(g.r, g.deptMembers[dept]))
		} else {
			continue
		}
		if c != author && !slices.Contains(not, c) && !g.people[c].guest {
			return c
		}
	}
	return -1
}

// event makes up an event announced at at, a few days to a month ahead, in office hours.
func (g *gen) event(at time.Time) *ruche.Event {
	day := at.Add(time.Duration(2+g.r.IntN(28)) * 24 * time.Hour).UTC()
	start := time.Date(day.Year(), day.Month(), day.Day(), 9+g.r.IntN(8), 30*g.r.IntN(2), 0, 0, time.UTC)
	end := start.Add(time.Duration(1+g.r.IntN(3)) * time.Hour)
	place := pick(g.r, rooms)
	if g.r.IntN(4) == 0 {
		place = "Online"
	}
	return &ruche.Event{Title: pick(g.r, eventTitles), Start: start, End: &end, Place: place}
}

// write renders d's text, then adds the post, its mentions, tags, likes and the
// notifications they cause.
func (g *gen) write(i int, at time.Time, d draft) error {
	templates := textsByKind[d.kind]
	ti := -1
	for range 20 { // a template that names as many people as wanted, or fewer
		if t := g.r.IntN(len(templates)); strings.Count(templates[t], "{m") <= d.named {
			ti = t
			break
		}
	}
	if ti < 0 { // every kind has templates that name nobody
		ti = slices.IndexFunc(templates, func(t string) bool { return !strings.Contains(t, "{m") })
	}
	c, err := g.texts.template(d.kind, ti, len(d.addressed), d.tags)
	if err != nil {
		return err
	}
	people := slices.Clone(d.addressed)
	for k := range g.values {
		g.values[k] = ""
	}
	for k, a := range d.addressed {
		g.values[slotA1+k] = g.people[a].username
	}
	for _, slot := range c.mentions {
		if slot == slotM1 || slot == slotM2 {
			var m int
			if d.group > 0 {
				m = g.groupColleague(d.group, d.author, people) // found: named fits the group
			} else if m = g.colleague(d.author, people); m < 0 {
				m = g.staff.pick(g.r) // a template that must name someone
				for m == d.author || slices.Contains(people, m) {
					m = (m + 1) % len(g.people)
				}
			}
			g.values[slot] = g.people[m].username
			people = append(people, m)
		}
	}
	var tags []int
	for len(tags) < d.tags {
		if t := g.tagPick.pick(g.r); !slices.Contains(tags, t) {
			g.values[slotT1+len(tags)] = tagWords[t]
			tags = append(tags, t)
		}
	}
	project := pick(g.r, projects)
	n := 2 + g.r.IntN(94)
	g.values[slotProject], g.values[slotClient], g.values[slotFeature] = project, pick(g.r, clients), pick(g.r, features)
	g.values[slotTool], g.values[slotNumber], g.values[slotWeekday] = pick(g.r, tools), strconv.Itoa(n), pick(g.r, weekdays)
	g.values[slotRoom], g.values[slotSlug] = pick(g.r, rooms), strings.ToLower(project)+"-"+strconv.Itoa(n)
	if dept := g.people[d.author].dept; dept >= 0 {
		g.values[slotDept] = departments[dept].name
	} else {
		g.values[slotDept] = "Partners"
	}
	if d.event != nil {
		g.values[slotEvent] = d.event.Title
	}
	source, htm := c.fill(&g.values)

	id := idAt(at, i)
	sp := postgres.SeedPost{ID: id, AccountID: g.people[d.author].id, Visibility: d.vis, Source: source, HTML: htm,
		SpoilerText: d.spoiler, Event: d.event, CreatedAt: at}
	if d.group > 0 {
		sp.GroupID = g.groups[d.group-1].id
	}
	parentAuthor := -1
	if d.parent >= 0 {
		parentAuthor = int(g.posts[d.parent].author)
		sp.InReplyToID, sp.InReplyToAccountID = g.plan.Posts[d.parent].ID, g.people[parentAuthor].id
	}
	p := post{author: int32(d.author), group: d.group, vis: d.vis}
	for _, m := range people {
		p.mentions = append(p.mentions, int32(m))
		g.plan.Mentions = append(g.plan.Mentions, postgres.SeedPair{A: id, B: g.people[m].id})
		kind := ruche.NotifyMention
		if m == parentAuthor {
			kind = ruche.NotifyReply
		}
		g.note(at, m, kind, d.author, id)
	}
	for _, t := range tags {
		if g.tagIDs[t] == 0 {
			g.tagIDs[t] = idAt(at, len(g.plan.Tags))
			g.plan.Tags = append(g.plan.Tags, postgres.SeedTag{ID: g.tagIDs[t], Name: tagWords[t]})
		}
		g.plan.PostTags = append(g.plan.PostTags, postgres.SeedPair{A: id, B: g.tagIDs[t]})
	}
	g.posts = append(g.posts, p)
	g.plan.Posts = append(g.plan.Posts, sp)
	g.like(len(g.posts)-1, at)
	return nil
}

// like has the post liked: more when its author has more followers, less for a
// reply; by followers, the people it mentions, or anyone who may see it (in a group,
// its members only).
func (g *gen) like(j int, at time.Time) {
	p := g.posts[j]
	mean := 0.3 + 0.05*math.Pow(float64(len(g.followers[p.author])), 0.75)
	if g.plan.Posts[j].InReplyToID != 0 {
		mean *= 0.3
	}
	if p.vis == ruche.VisDirect {
		mean = 0.3 * float64(len(p.mentions))
	}
	want := min(poisson(g.r, mean), 300)
	if p.group > 0 {
		want = min(want, len(g.groups[p.group-1].members)-1)
	}
	g.likedBy = g.likedBy[:0]
	for tries := 0; len(g.likedBy) < want && tries < 3*want; tries++ {
		var v int
		switch x := g.r.IntN(100); {
		case p.vis == ruche.VisDirect || (x < 20 && len(p.mentions) > 0):
			v = int(pick(g.r, p.mentions))
		case p.group > 0:
			gr := &g.groups[p.group-1]
			v = int(gr.members[gr.posting.pick(g.r)])
		case x < 70 && len(g.followers[p.author]) > 0:
			v = int(pick(g.r, g.followers[p.author]))
		default:
			v = g.staff.pick(g.r)
		}
		if v == int(p.author) || slices.Contains(g.likedBy, v) || !ruche.CanDo(ruche.ActLike, p.vis, g.relation(v, j)) ||
			p.group > 0 && !g.isMember(v, p.group) {
			continue
		}
		g.likedBy = append(g.likedBy, v)
		when := at.Add(time.Duration(g.r.ExpFloat64() * float64(2*time.Hour)))
		if when.After(g.end) {
			when = g.end
		}
		id := g.plan.Posts[j].ID
		g.plan.Likes = append(g.plan.Likes, postgres.SeedLike{PostID: id, AccountID: g.people[v].id, At: when})
		if g.end.Sub(when) < 30*24*time.Hour {
			g.note(when, int(p.author), ruche.NotifyLike, v, id)
		}
	}
}

// Summary describes a plan for the seed command's output.
func Summary(p *postgres.SeedPlan) string {
	members, inGroups := 0, 0
	for _, m := range p.Members {
		if m.State == ruche.StateMember {
			members++
		}
	}
	for _, q := range p.Posts {
		if q.GroupID != 0 {
			inGroups++
		}
	}
	return fmt.Sprintf("%d members, %d follows, %d groups with %d memberships (and %d requests or invitations), "+
		"%d posts and boosts (%d in groups), %d mentions, %d tags on posts, %d likes, %d notifications",
		len(p.Accounts), len(p.Follows), len(p.Groups), members, len(p.Members)-members,
		len(p.Posts), inGroups, len(p.Mentions), len(p.PostTags), len(p.Likes), len(p.Notifications))
}
