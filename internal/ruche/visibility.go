package ruche

// Visibility is who may see a post, chosen by its author.
type Visibility string

// The four visibilities, widest first.
const (
	VisCompany   Visibility = "company"   // every member; listed in the company stream
	VisQuiet     Visibility = "quiet"     // every member, but not listed in the company stream
	VisFollowers Visibility = "followers" // the author's followers and the members it mentions
	VisDirect    Visibility = "direct"    // only the members it mentions
	VisGroup     Visibility = "group"     // the members of its group (chosen on the group's page)
)

// Visibilities lists the ones a compose box offers, widest first; a group post is
// written on its group's page.
var Visibilities = []Visibility{VisCompany, VisQuiet, VisFollowers, VisDirect}

// AllVisibilities lists every visibility, for tests.
var AllVisibilities = []Visibility{VisCompany, VisQuiet, VisFollowers, VisDirect, VisGroup}

// Valid reports whether v is one of the four.
func (v Visibility) Valid() bool {
	switch v {
	case VisCompany, VisQuiet, VisFollowers, VisDirect, VisGroup:
		return true
	}
	return false
}

// width orders visibilities: a reply may not be wider than its parent.
func (v Visibility) width() int {
	switch v {
	case VisCompany:
		return 4
	case VisQuiet:
		return 3
	case VisFollowers:
		return 2
	}
	return 1
}

// NarrowerOf returns the narrower of a and b.
func NarrowerOf(a, b Visibility) Visibility {
	if a.width() <= b.width() {
		return a
	}
	return b
}

// Relation is everything the visibility rule needs to know about a viewer and a post.
type Relation struct {
	Author    bool // the viewer wrote the post
	Follower  bool // the viewer follows the author
	Mentioned bool // the post mentions the viewer
	Guest     bool // the viewer's role is guest (outside the company)

	GroupMember bool // the viewer is a member of the post's group (group posts)
	Admin       bool // the viewer is a company admin, who may see every group
}

// CanSee is THE visibility rule: may a viewer in relation r see a post of visibility v?
// The store states the same rule in SQL (internal/postgres/visibility.go) for speed; a
// generated test checks that both agree on every case. Never restate it elsewhere.
//
// Guests are people from outside the company: they see what they wrote, what mentions
// them directly, and (with groups) the groups they are invited into, never the
// company-wide streams.
//
// A group post is for the group's members and company admins only. Not even its
// author sees it once out of the group: leaving or being removed ends access at once.
func CanSee(v Visibility, r Relation) bool {
	if v == VisGroup {
		return r.GroupMember || r.Admin
	}
	if r.Author {
		return true
	}
	switch v {
	case VisCompany, VisQuiet:
		return !r.Guest
	case VisFollowers:
		return r.Mentioned || (r.Follower && !r.Guest)
	case VisDirect:
		return r.Mentioned
	}
	return false
}

// Action is something a viewer does to a post.
type Action string

// The actions the interaction rule decides.
const (
	ActSee      Action = "see"
	ActReply    Action = "reply"
	ActLike     Action = "like"
	ActBoost    Action = "boost"
	ActBookmark Action = "bookmark"
)

// Actions lists every action, for tests.
var Actions = []Action{ActSee, ActReply, ActLike, ActBoost, ActBookmark}

// CanDo is the interaction rule: whoever may see a post may reply to, like and bookmark
// it. A boost shows the post to people its author did not choose, so only company-wide
// posts may be boosted, and group posts inside their group: a boost of one is a group
// post too, which the group's members alone see (a company admin outside the group,
// who sees it, may not boost it).
func CanDo(a Action, v Visibility, r Relation) bool {
	if !CanSee(v, r) {
		return false
	}
	if a == ActBoost {
		return v == VisCompany || v == VisQuiet || v == VisGroup && r.GroupMember
	}
	return true
}
