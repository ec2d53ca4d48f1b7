package seed

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// DefaultGroups is how many groups a hive of users members has unless told otherwise:
// one for every twenty members.
func DefaultGroups(users int) int { return users / 20 }

// groupShare is the share of original posts written in a group; replies to them stay
// there, so about as large a share of all posts is.
const groupShare = 0.25

// group is a group as the generator knows it; index k in gen.groups is its place in
// plan.Groups, and posts refer to it as k+1.
type group struct {
	id      int64
	kind    ruche.GroupKind
	members []int32   // the owner first, then the moderators, then everyone else
	posting *weighted // members, by how much they post
}

// candidate is a group that could exist: a theme and who it gathers.
type candidate struct {
	groupTheme
	pool     []int32 // the people it mostly draws from; nil: anyone
	breadth  float64 // how many people it gathers, relatively
	secrecy  float64 // how likely it is to be closed or secret
	partners bool    // partner staff (guests) may work in it
}

// makeGroups creates o.Groups groups, the broadest first: sizes fall off like Zipf's
// law (for 10,000 members, the largest has thousands and most have a few dozen or
// fewer). The more confidential a theme, the likelier it is closed or secret, about
// 60% open, 30% closed and 10% secret in all. Members come mostly from the group's
// department or office, otherwise from people who join many groups; each group has an
// owner and up to three moderators, closed groups some pending requests, secret groups
// some pending invitations, and guests belong to a few project and client groups.
func (g *gen) makeGroups() {
	n := g.o.Groups
	if n <= 0 {
		return
	}
	cands := g.groupCandidates()
	keys := make([]float64, len(cands))
	for i := range cands {
		keys[i] = cands[i].breadth * math.Exp(0.5*g.r.NormFloat64())
	}
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(keys[b], keys[a]) })
	taken := make(map[string]bool, len(g.people)+n)
	for _, p := range g.people {
		taken[p.username] = true
	}
	var chosen []candidate
	for round := 1; len(chosen) < n; round++ { // more groups than themes: numbered again
		for _, i := range order {
			c := cands[i]
			if round > 1 {
				c.handle = fmt.Sprintf("%s_%d", c.handle[:min(len(c.handle), 26)], round)
				c.name = fmt.Sprintf("%s %d", c.name, round)
			}
			if len(chosen) == n || taken[c.handle] {
				continue
			}
			taken[c.handle] = true
			chosen = append(chosen, c)
		}
	}
	kinds := g.groupKinds(chosen)

	staff, joinW := 0, make([]float64, len(g.people))
	for i, p := range g.people {
		if !p.guest {
			staff++
			joinW[i] = math.Exp(g.r.NormFloat64())
		}
	}
	joiners := newWeighted(joinW)
	ids := make(map[int64]bool, len(g.people)+n)
	for _, p := range g.people {
		ids[p.id] = true
	}
	g.member = make(map[uint64]bool, 3*len(g.people))
	activity := make([]float64, n)
	for k, c := range chosen {
		want := 3 + int(math.Round(0.4*float64(staff)/math.Pow(float64(k+1), 1.1)*math.Exp(0.2*g.r.NormFloat64())))
		if kinds[k] == ruche.GroupSecret {
			want = min(want, 80)
		}
		if len(c.pool) > 0 { // most members come from the pool
			want = min(want, 3+len(c.pool)*3/2)
		}
		want = min(want, staff)
		g.groups = append(g.groups, group{kind: kinds[k]})
		gr := &g.groups[k]
		for tries := 0; len(gr.members) < want && tries < 4*want; tries++ {
			var p int
			if len(c.pool) > 0 && g.r.IntN(100) < 70 {
				p = int(pick(g.r, c.pool))
			} else {
				p = joiners.pick(g.r)
			}
			if !g.member[pair(p, k)] {
				g.member[pair(p, k)] = true
				gr.members = append(gr.members, int32(p))
			}
		}
		owner := int(gr.members[0])
		ownerSince := g.plan.Accounts[owner].CreatedAt
		created := ownerSince.Add(time.Duration(g.r.Float64() * float64(g.start.Sub(ownerSince)))).Truncate(time.Millisecond)
		gr.id = idAt(created, len(g.people)+k)
		for ids[gr.id] {
			created = created.Add(time.Millisecond)
			gr.id = idAt(created, len(g.people)+k)
		}
		ids[gr.id] = true
		g.plan.Groups = append(g.plan.Groups, postgres.SeedGroup{ID: gr.id, Handle: c.handle, Name: c.name,
			Description: c.description, Kind: gr.kind, CreatedBy: g.people[owner].id, CreatedAt: created})
		mods := min(3, len(gr.members)-1, poisson(g.r, 0.3+float64(len(gr.members))/150))
		for j, m := range gr.members {
			role := ruche.GroupMember
			switch {
			case j == 0:
				role = ruche.GroupOwner
			case j <= mods:
				role = ruche.GroupModerator
			}
			g.join(k, created, int(m), ruche.StateMember, role)
		}
		g.pending(k, created, mods, joiners)
		activity[k] = math.Pow(float64(len(gr.members)), 0.8) * math.Exp(0.7*g.r.NormFloat64())
	}
	g.guestGroups(chosen)
	for k := range g.groups {
		gr := &g.groups[k]
		w := make([]float64, len(gr.members))
		for j, m := range gr.members {
			w[j] = g.postingW[m]
		}
		gr.posting = newWeighted(w)
	}
	g.groupPick = newWeighted(activity)
}

// groupKinds decides each chosen group's kind: the most confidential tenth (give or
// take chance) secret, the next three tenths closed, the others open; at least one of
// each when there are three groups or more.
func (g *gen) groupKinds(chosen []candidate) []ruche.GroupKind {
	n := len(chosen)
	secret, closed := int(math.Round(0.1*float64(n))), int(math.Round(0.3*float64(n)))
	if n >= 3 {
		secret, closed = max(secret, 1), max(closed, 1)
	}
	score := make([]float64, n)
	order := make([]int, n)
	for k, c := range chosen {
		score[k], order[k] = c.secrecy+0.3*g.r.NormFloat64(), k
		if k < max(1, n/20) {
			score[k] -= 10 // the largest groups are open to all
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	kinds := make([]ruche.GroupKind, n)
	for rank, k := range order {
		switch {
		case rank < secret:
			kinds[k] = ruche.GroupSecret
		case rank < secret+closed:
			kinds[k] = ruche.GroupClosed
		default:
			kinds[k] = ruche.GroupOpen
		}
	}
	return kinds
}

// join records person p's standing in group k, from a time after both began and
// before the first post (requests and invitations: in the last month).
func (g *gen) join(k int, created time.Time, p int, state ruche.MembershipState, role ruche.GroupRole) time.Time {
	var at time.Time
	if state == ruche.StateMember {
		since := created
		if c := g.plan.Accounts[p].CreatedAt; c.After(since) {
			since = c
		}
		at = since.Add(time.Duration(g.r.Float64() * float64(g.start.Sub(since))))
	} else {
		at = g.end.Add(-time.Duration(g.r.Float64() * float64(30*24*time.Hour)))
	}
	g.plan.Members = append(g.plan.Members, postgres.SeedMember{GroupID: g.plan.Groups[k].ID, AccountID: g.people[p].id,
		State: state, Role: role, At: at})
	return at
}

// pending adds the join requests waiting in a closed group (its owner and moderators
// are notified) and the invitations waiting in a secret one (the invitee is).
func (g *gen) pending(k int, created time.Time, mods int, joiners *weighted) {
	gr := &g.groups[k]
	var n int
	switch gr.kind {
	case ruche.GroupClosed:
		n = min(poisson(g.r, 0.5+0.02*float64(len(gr.members))), 25)
	case ruche.GroupSecret:
		n = min(poisson(g.r, 0.7+0.05*float64(len(gr.members))), 10)
	}
	var asked []int
	for tries := 0; len(asked) < n && tries < 4*n; tries++ {
		p := joiners.pick(g.r)
		if g.member[pair(p, k)] || slices.Contains(asked, p) {
			continue
		}
		asked = append(asked, p)
		if gr.kind == ruche.GroupClosed {
			at := g.join(k, created, p, ruche.StateRequested, ruche.GroupMember)
			for _, m := range gr.members[:1+mods] {
				g.groupNote(at, int(m), ruche.NotifyGroupRequest, p, gr.id)
			}
		} else {
			at := g.join(k, created, p, ruche.StateInvited, ruche.GroupMember)
			g.groupNote(at, p, ruche.NotifyGroupInvite, int(pick(g.r, gr.members[:1+mods])), gr.id)
		}
	}
}

// guestGroups makes each guest (partner staff) a member of one to three of the groups
// about projects and clients, where partners work with the company.
func (g *gen) guestGroups(chosen []candidate) {
	var partner []int
	for k, c := range chosen {
		if c.partners {
			partner = append(partner, k)
		}
	}
	if len(partner) == 0 {
		return
	}
	for p, person := range g.people {
		if !person.guest {
			continue
		}
		for range 1 + g.r.IntN(3) {
			k := pick(g.r, partner)
			if !g.member[pair(p, k)] {
				g.member[pair(p, k)] = true
				g.groups[k].members = append(g.groups[k].members, int32(p))
				g.join(k, g.plan.Groups[k].CreatedAt, p, ruche.StateMember, ruche.GroupMember)
			}
		}
	}
}

// groupCandidates lists every group the company might have: interests and guilds,
// offices, teams and teams in an office, projects and their squads, client accounts,
// local clubs, and a few confidential circles.
func (g *gen) groupCandidates() []candidate {
	var out []candidate
	for i, t := range openThemes {
		breadth := 0.1
		if i < 3 {
			breadth = 1 - 0.2*float64(i)
		}
		out = append(out, candidate{groupTheme: t, breadth: breadth})
	}
	// A group drawing on a pool is about as broad as its pool's share of the company.
	share := func(pool []int32) float64 { return float64(len(pool)) / float64(max(1, len(g.people))) }
	byPlace := map[string][]int32{}
	byDeptPlace := map[[2]string][]int32{}
	for i, p := range g.people {
		if p.guest {
			continue
		}
		place := g.plan.Accounts[i].Location
		byPlace[place] = append(byPlace[place], int32(i))
		byDeptPlace[[2]string{departments[p.dept].name, place}] = append(byDeptPlace[[2]string{departments[p.dept].name, place}], int32(i))
	}
	var places []string
	for _, l := range locations {
		if l != "Remote" && !slices.Contains(places, l) {
			places = append(places, l)
		}
	}
	for _, l := range places {
		out = append(out, candidate{groupTheme: groupTheme{"office_" + asciiName(l), l + " office",
			"Everything about the " + l + " office: facilities, events and lunch spots."},
			pool: byPlace[l], breadth: share(byPlace[l]), secrecy: 0.1})
	}
	var sales []int32
	for d, dept := range departments {
		if dept.name == "Sales" || dept.name == "Customer Success" {
			sales = append(sales, g.deptMembers[d]...)
		}
		out = append(out, candidate{groupTheme: groupTheme{"team_" + asciiName(dept.name), dept.name,
			"News, questions and announcements for everyone in " + dept.name + "."},
			pool: g.deptMembers[d], breadth: share(g.deptMembers[d]), secrecy: 0.25})
		for _, l := range places {
			if pool := byDeptPlace[[2]string{dept.name, l}]; len(pool) > 0 {
				out = append(out, candidate{groupTheme: groupTheme{handleOf(asciiName(dept.name), asciiName(l)), dept.name + " in " + l,
					"The " + dept.name + " people of the " + l + " office."}, pool: pool, breadth: share(pool), secrecy: 0.3})
			}
		}
	}
	engineering := g.deptMembers[slices.IndexFunc(departments, func(d department) bool { return d.name == "Engineering" })]
	for _, p := range projects {
		out = append(out, candidate{groupTheme: groupTheme{"project_" + strings.ToLower(p), "Project " + p,
			"Working group for " + p + ": decisions, status updates and demos."}, breadth: 0.05, secrecy: 0.5, partners: true})
		for _, s := range squads {
			out = append(out, candidate{groupTheme: groupTheme{handleOf(strings.ToLower(p), s), p + " " + s + " squad",
				"The " + s + " squad of project " + p + "."}, pool: engineering, breadth: 0.01, secrecy: 0.6, partners: true})
		}
	}
	for _, c := range clients {
		out = append(out, candidate{groupTheme: groupTheme{handleOf("account", asciiName(c)), c + " account team",
			"Everything about " + c + ": deals, renewals and escalations."}, pool: sales, breadth: 0.02, secrecy: 0.8, partners: true})
	}
	for _, t := range openThemes[3:] {
		if !strings.HasSuffix(t.handle, "_club") && !slices.Contains([]string{"board_games", "climbing", "football", "languages", "cooking"}, t.handle) {
			continue
		}
		for _, l := range places {
			out = append(out, candidate{groupTheme: groupTheme{handleOf(strings.TrimSuffix(t.handle, "_club"), asciiName(l)),
				t.name + ", " + l, t.description + " In " + l + "."}, pool: byPlace[l], breadth: 0.2 * share(byPlace[l]), secrecy: 0.05})
		}
	}
	for _, t := range confidentialThemes {
		out = append(out, candidate{groupTheme: t, breadth: 0.005, secrecy: 1.2})
	}
	return out
}

// handleOf joins words with _ into a handle of at most 30 characters.
func handleOf(words ...string) string {
	h := strings.Join(words, "_")
	return h[:min(len(h), 30)]
}

// groupColleague returns a member of group k (1 + index) for author to name, not
// anyone in not; -1 if there is none.
func (g *gen) groupColleague(k int32, author int, not []int) int {
	members := g.groups[k-1].members
	ok := func(c int) bool { return c != author && !slices.Contains(not, c) }
	for range 6 {
		if c := int(pick(g.r, members)); ok(c) {
			return c
		}
	}
	from := g.r.IntN(len(members))
	for j := range members {
		if c := int(members[(from+j)%len(members)]); ok(c) {
			return c
		}
	}
	return -1
}

// isMember reports whether person p is a member of group k (1 + index; 0: none).
func (g *gen) isMember(p int, k int32) bool { return k > 0 && g.member[pair(p, int(k-1))] }

// groupNote records a notification about a group (a join request, an invitation).
func (g *gen) groupNote(at time.Time, to int, kind ruche.NotificationKind, from int, groupID int64) {
	if to != from {
		g.notes = append(g.notes, note{at: at, to: int32(to), from: int32(from), kind: kind, group: groupID})
	}
}
