package seed

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// person is a member as the generator knows them; index i in gen.people is the
// account's place in plan.Accounts.
type person struct {
	id       int64
	username string
	guest    bool
	admin    bool
	dept     int // index in departments; -1 for guests
}

// makePeople creates the members: an admin first, a few moderators and guests (partner
// staff), and everyone else a member of a department, with a title, a place, a bio
// and sometimes a presence line. Popularity (who gets followed) follows Zipf's law,
// and the most followed get leadership titles; how much each person posts varies as
// widely (log-normal).
func (g *gen) makePeople() {
	n := g.o.Users
	deptWeights := make([]float64, len(departments))
	for i, d := range departments {
		deptWeights[i] = d.weight
	}
	deptPick := newWeighted(deptWeights)
	g.deptMembers = make([][]int32, len(departments))
	popularity := make([]float64, n)
	posting := make([]float64, n)
	staff := make([]float64, n)
	taken := map[string]bool{}
	// Ranks are shuffled so that the admin (person 0) is not the most followed.
	rank := g.r.Perm(n)
	type joined struct {
		at time.Time
		i  int
	}
	created := make([]joined, n)
	g.plan.Accounts = make([]postgres.SeedAccount, n)
	for i := range n {
		first, last := pick(g.r, firstNames), pick(g.r, lastNames)
		a := postgres.SeedAccount{DisplayName: first + " " + last, Role: ruche.RoleMember, Location: pick(g.r, locations)}
		p := person{dept: deptPick.pick(g.r)}
		switch {
		case i == 0:
			a.Role, p.admin, p.dept = ruche.RoleAdmin, true, slices.IndexFunc(departments, func(d department) bool { return d.name == "IT" })
		case n >= 50 && i%100 == 7:
			a.Role = ruche.RoleModerator
		case n >= 50 && i%100 == 42:
			a.Role, p.guest, p.dept = ruche.RoleGuest, true, -1
		}
		if p.guest {
			a.JobTitle, a.Department = "Consultant, "+pick(g.r, clients), ""
		} else {
			d := departments[p.dept]
			a.JobTitle, a.Department = pick(g.r, d.titles), d.name
			if r := rank[i]; n >= 50 && r < len(leaders) {
				a.JobTitle, a.Department = leaders[r].title, leaders[r].dept
				p.dept = slices.IndexFunc(departments, func(d department) bool { return d.name == leaders[r].dept })
			}
			g.deptMembers[p.dept] = append(g.deptMembers[p.dept], int32(i))
		}
		p.username = uniqueUsername(taken, first, last)
		if i == 0 {
			p.username = "admin"
		}
		taken[p.username] = true
		a.Username, a.Email = p.username, p.username+"@example.com"
		a.Bio = fmt.Sprintf("%s in %s. %s", a.JobTitle, a.Location, pick(g.r, hobbies))
		if p.guest {
			a.Bio = "Working with us on " + pick(g.r, projects) + "."
		}
		if g.r.Float64() < 0.12 {
			pr := presences[g.r.IntN(len(presences))]
			a.Presence = ruche.Presence{Emoji: pr.emoji, Text: pr.text}
			if g.r.IntN(3) > 0 {
				exp := g.end.Add(time.Duration((g.r.Float64()*5 - 2) * 24 * float64(time.Hour))).Truncate(time.Minute)
				a.Presence.ExpiresAt = &exp
			}
		}
		popularity[i] = 1 / float64(rank[i]+1)
		posting[i] = math.Exp(g.r.NormFloat64() * 1.1)
		if p.guest {
			posting[i] *= 0.3
		} else {
			staff[i] = posting[i]
		}
		// Everyone joined before the first post, over the three years before it.
		created[i] = joined{g.start.Add(-time.Duration(g.r.Float64() * float64(3*365*24*time.Hour))).Truncate(time.Millisecond), i}
		if i == 0 {
			created[i].at = g.start.Add(-3 * 365 * 24 * time.Hour)
		}
		g.plan.Accounts[i] = a
		g.people = append(g.people, p)
	}
	// Ids in next_id()'s format from the join times; sorting first keeps them unique.
	slices.SortFunc(created, func(a, b joined) int { return a.at.Compare(b.at) })
	for k, c := range created {
		id := idAt(c.at, k)
		g.people[c.i].id = id
		g.plan.Accounts[c.i].ID, g.plan.Accounts[c.i].CreatedAt = id, c.at
	}
	g.popular, g.posting, g.staff = newWeighted(popularity), newWeighted(posting), newWeighted(staff)
	g.postingW = posting
}

// makeFollows gives each person a number of followees (log-normal, median 30, so a
// few follow hundreds), chosen half within their department and half among the
// popular: a few people end up followed by almost everyone. Guests follow the handful
// of people they work with.
func (g *gen) makeFollows() {
	n := len(g.people)
	g.following = make(map[uint64]bool, n*48)
	g.followees = make([][]int32, n)
	g.followers = make([][]int32, n)
	for i, p := range g.people {
		want := int(math.Round(30 * math.Exp(g.r.NormFloat64()*0.9)))
		if p.guest {
			want = 2 + g.r.IntN(7)
		}
		want = max(1, min(want, n-1, 2000))
		for tries := 0; len(g.followees[i]) < want && tries < 4*want; tries++ {
			var j int
			if !p.guest && g.r.IntN(100) < 45 {
				j = int(pick(g.r, g.deptMembers[p.dept]))
			} else {
				j = g.popular.pick(g.r)
			}
			if j == i || g.following[pair(i, j)] {
				continue
			}
			g.following[pair(i, j)] = true
			g.followees[i] = append(g.followees[i], int32(j))
			g.followers[j] = append(g.followers[j], int32(i))
			since := g.plan.Accounts[i].CreatedAt
			if c := g.plan.Accounts[j].CreatedAt; c.After(since) {
				since = c
			}
			at := since.Add(time.Duration(g.r.Float64() * float64(g.end.Sub(since))))
			g.plan.Follows = append(g.plan.Follows, postgres.SeedFollow{Follower: p.id, Followee: g.people[j].id, At: at})
			if g.end.Sub(at) < 30*24*time.Hour {
				g.note(at, j, ruche.NotifyFollow, i, 0)
			}
		}
	}
}

// uniqueUsername makes first_last in [a-z0-9_], numbered when taken.
func uniqueUsername(taken map[string]bool, first, last string) string {
	base := asciiName(first) + "_" + asciiName(last)
	if len(base) > 26 {
		base = base[:26]
	}
	name := base
	for k := 2; taken[name]; k++ {
		name = fmt.Sprintf("%s%d", base, k)
	}
	return name
}

var stripMarks = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// asciiName lower-cases a name and drops accents and anything else outside [a-z0-9].
func asciiName(s string) string {
	folded, _, err := transform.String(stripMarks, s)
	if err != nil {
		folded = s
	}
	var b strings.Builder
	for _, r := range strings.ToLower(folded) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == 'ß':
			b.WriteString("ss")
		}
	}
	return b.String()
}
