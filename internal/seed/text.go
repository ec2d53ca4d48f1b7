package seed

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ruche-hive/ruche/internal/richtext"
)

// Post text comes from templates with slots. Rendering Markdown to sanitized HTML
// costs about 0.1 ms a post, minutes for a million posts, so each template is rendered
// once with a placeholder word in each slot and a post's HTML is the rendered template
// with the placeholders replaced. The test checks the result against richtext.Render.

// Slots. {m1} {m2}: people named in the text; {a1}…{a4}: people addressed at the start
// of a reply or direct message; {t1}…{t3}: tags added at the end; the others are
// plain words from the vocabulary.
var slotNames = []string{"m1", "m2", "a1", "a2", "a3", "a4", "t1", "t2", "t3",
	"p", "c", "f", "k", "n", "w", "r", "s", "d", "e"}

const (
	slotM1 = iota
	slotM2
	slotA1
	_
	_
	_
	slotT1
	_
	_
	slotProject
	slotClient
	slotFeature
	slotTool
	slotNumber
	slotWeekday
	slotRoom
	slotSlug
	slotDept
	slotEvent
	numSlots
)

// placeholder is the word standing for slot i while a template is rendered: a valid
// username and tag, and a word no template or value contains.
func placeholder(i int) string { return "zqx" + string(rune('a'+i)) + "z" }

var placeholderRE = regexp.MustCompile(`zqx[a-s]z`)

// Templates, by kind of post. A post of a kind picks one at random.
var (
	companyTexts = []string{
		"Shipped {f} for {c} today 🎉 Release notes: https://wiki.example.com/releases/{s}",
		"Reminder: the {d} all-hands moves to {w} at {n}:00 in {r}.",
		"Anyone else seeing slow builds on {k} this morning? Pipelines take twice as long as usual.",
		"Great quarter for the {d} team: {n}% over target. Thank you all, it was a real team effort.",
		"Lunch and learn on {w}: how we cut {k} costs by {n}%. Bring questions!",
		"We just signed {c}! Huge thanks to everyone who worked on the proposal.",
		"Heads up: {k} will be down for maintenance on {w} evening, 20:00 to 22:00.",
		"New blog post on how {p} handles peak traffic: https://blog.example.com/{s}",
		"Looking for volunteers to test {f} before it goes to {c}. Reply here if you have an hour this week.",
		"The coffee machine on the third floor is fixed ☕",
		"**Incident update:** {k} is back to normal. Root cause was a full disk; postmortem to follow.",
		"Quick poll: should the {d} weekly move to {w}? 👍 or 👎 below.",
		"Welcome to our {n} new joiners this month! Say hi if you see them around {r}.",
		"Reading list for the holidays:\n\n- Designing Data-Intensive Applications\n- The Manager's Path\n- Accelerate",
		"{p} milestone reached: the beta is open to every {c} user.",
		"Office tip: {r} has the best whiteboard in the building. Book it early.",
		"Draft of the {p} roadmap is up for comments until {w}: https://docs.example.com/{s}",
		"{f} now loads in under {n}0 ms for {c}. It took a few rounds of profiling!",
		"Please restart your laptop before {w}: IT pushes a security patch for {k} that day.",
		"Does anyone have experience with {k} at scale? We are evaluating it for {p}.",
		"Town hall recording and slides are on the intranet. Questions welcome here.",
		"Spent the day with {c} in their office. They love {f} but want better exports.",
		"The {d} offsite was fantastic. Thanks to the organisers! 🙌",
		"Today I learned: `git worktree` makes reviewing branches so much easier.",
		"Customer quote of the week: \"{f} saves us hours every Monday.\" ({c})",
		"We are hiring in {d}! Referrals are very welcome, details on the careers page.",
		"Friendly reminder to submit last month's expenses before {w}.",
		"Ran the numbers: {p} cut support tickets by {n}% since launch.",
		"Three things I learned migrating {p} to {k}:\n\n1. Measure first\n2. Move in small steps\n3. Keep the old path until the new one is boring",
		"> Simplicity is prerequisite for reliability.\n\nPinning this above my desk while we redesign {p}.",
		"Huge thanks to @{m1} for jumping on the {k} outage last night 🙏",
		"@{m1} just presented {p} to {c}, and they want a pilot!",
		"Pairing with @{m1} on {f} this afternoon; ping us if you want to join.",
		"Welcome @{m1}, who joins {d} today! 👋",
		"Kudos to @{m1} for the write-up on {f}, a must read: https://wiki.example.com/{s}",
		"Who owns {k} these days? @{m1} maybe?",
		"@{m1} and @{m2} closed the {c} renewal a week early. Well done!",
		"Congrats @{m1} and @{m2} on shipping {f} 🚀",
		"Design review for {p} on {w} with @{m1} and @{m2}, in {r}.",
	}
	followerTexts = []string{
		"Working from {r} today, ping me if you need anything.",
		"Notes from my 1:1s this week: people want fewer meetings and clearer priorities. Working on it.",
		"Half-baked idea: what if {f} worked offline? Thoughts welcome before I write it up.",
		"Out on {w}, back the day after.",
		"Personal update: I am moving to the {d} team next month. Excited and a bit sad!",
		"Still thinking about the {p} retro. We should celebrate small wins more.",
		"First week on {p} done. So much to learn, and everyone has been *so* welcoming.",
		"@{m1} I owe you a coffee for the help on {p} ☕",
		"Running the charity 10k on {w} with @{m1}. Sponsors welcome!",
	}
	directTexts = []string{
		"do you have ten minutes today to talk about {c}?",
		"can you review my changes to {f} before {w}?",
		"the {c} contract is in your inbox, tell me if anything looks off.",
		"confidential: the budget for {p} is approved. Announcement on {w}.",
		"moving our sync to {n}:30, same room.",
		"thanks for covering for me yesterday!",
		"quick question about {k}: who should I ask for access?",
		"are we still on for lunch on {w}?",
	}
	replyTexts = []string{
		"thanks, that's really helpful!",
		"agreed. Let's discuss it on {w}.",
		"+1, same issue here with {k}.",
		"great news 🎉",
		"do you have a link to the doc?",
		"I can help with that, send me a message.",
		"could we add this to the {p} backlog?",
		"looks good to me. Ship it!",
		"interesting, how did {c} react?",
		"I'll be there.",
		"not sure I follow, can you explain the part about {f}?",
		"see https://wiki.example.com/{s} for the details.",
		"fixed in the latest build, can you try again?",
		"@{m1} might know more about this.",
		"yes! And {k} needs the same treatment.",
		"🙌",
	}
	eventTexts = []string{
		"Save the date: **{e}** on {w}. Details below, see you there!",
		"Join us for {e}! Everyone is welcome, remote folks can join by video.",
		"{e} for the {d} team, in {r}. Please reply if you are coming so we can plan food.",
	}
)

// textKind is a family of templates; kinds whose posts are addressed to people start
// with the addressees ({a1}…).
type textKind int

const (
	kindCompany textKind = iota
	kindFollowers
	kindDirect
	kindReply
	kindEvent
	kindGroup
)

var textsByKind = [][]string{companyTexts, followerTexts, directTexts, replyTexts, eventTexts, groupTexts}

// compiled is a template, with so many addressees and tags, split at its slots in
// both the source and the rendered HTML.
type compiled struct {
	source, html []part
	mentions     []int // slots of the people it links, in order
}

// part is literal text or, when slot >= 0, a slot.
type part struct {
	text string
	slot int
}

// texts renders templates on first use and fills them in.
type texts struct {
	baseURL string
	cache   map[[4]int]*compiled
}

func newTexts(baseURL string) *texts {
	return &texts{baseURL: baseURL, cache: map[[4]int]*compiled{}}
}

// options are the links that ruche.Posts renders with, so seeded posts look like
// written ones.
func (t *texts) options() richtext.Options {
	return richtext.Options{
		Mention: func(u string) (string, bool) { return t.baseURL + "/@" + u, true },
		TagURL:  func(tag string) string { return t.baseURL + "/tags/" + url.PathEscape(tag) },
	}
}

// template returns template i of kind with addressed people and tags, rendering it the
// first time.
func (t *texts) template(kind textKind, i, addressed, tags int) (*compiled, error) {
	key := [4]int{int(kind), i, addressed, tags}
	if c := t.cache[key]; c != nil {
		return c, nil
	}
	var b strings.Builder
	for j := range addressed {
		fmt.Fprintf(&b, "@{a%d} ", j+1)
	}
	b.WriteString(textsByKind[kind][i])
	for j := range tags {
		fmt.Fprintf(&b, " #{t%d}", j+1)
	}
	src := b.String()
	for j, name := range slotNames {
		src = strings.ReplaceAll(src, "{"+name+"}", placeholder(j))
	}
	if strings.ContainsAny(src, "{}") {
		return nil, fmt.Errorf("seed: template %q has an unknown slot", textsByKind[kind][i])
	}
	r := richtext.Render(src, t.options())
	c := &compiled{source: split(src), html: split(r.HTML)}
	var wantTags []string
	for _, p := range c.source {
		if p.slot >= slotM1 && p.slot < slotT1 && !slices.Contains(c.mentions, p.slot) {
			c.mentions = append(c.mentions, p.slot)
		}
		if p.slot >= slotT1 && p.slot < slotProject {
			wantTags = append(wantTags, placeholder(p.slot))
		}
	}
	var wantMentions []string
	for _, s := range c.mentions {
		wantMentions = append(wantMentions, placeholder(s))
	}
	if !slices.Equal(r.Mentions, wantMentions) || !slices.Equal(r.Tags, wantTags) {
		return nil, fmt.Errorf("seed: template %q renders mentions %v and tags %v", textsByKind[kind][i], r.Mentions, r.Tags)
	}
	t.cache[key] = c
	return c, nil
}

// split cuts s at the placeholders.
func split(s string) []part {
	var out []part
	last := 0
	for _, m := range placeholderRE.FindAllStringIndex(s, -1) {
		if m[0] > last {
			out = append(out, part{text: s[last:m[0]], slot: -1})
		}
		out = append(out, part{slot: int(s[m[0]+3] - 'a')})
		last = m[1]
	}
	if last < len(s) {
		out = append(out, part{text: s[last:], slot: -1})
	}
	return out
}

// fill returns the source and HTML of c with values in its slots. Usernames, tags and
// slugs are plain [a-z0-9_-] and go as they are; other values are escaped in the HTML.
func (c *compiled) fill(values *[numSlots]string) (source, htm string) {
	var s, h strings.Builder
	for _, p := range c.source {
		if p.slot < 0 {
			s.WriteString(p.text)
		} else {
			s.WriteString(values[p.slot])
		}
	}
	for _, p := range c.html {
		switch {
		case p.slot < 0:
			h.WriteString(p.text)
		case p.slot < slotProject || p.slot == slotSlug:
			h.WriteString(values[p.slot])
		default:
			h.WriteString(html.EscapeString(values[p.slot]))
		}
	}
	return s.String(), h.String()
}
