package richtext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/text/unicode/norm"
)

// Limits of the words that become links, as on Mastodon.
const (
	maxUsername = 30  // ASCII [a-z0-9_]
	maxTag      = 100 // runes
)

// NormalizeTag lower-cases a tag (Unicode-aware, NFC) — tags are case-insensitive.
// The same tag typed in different case or Unicode composition ("#Café", "#café",
// "#Cafe\u0301") normalizes to one string, which is what stores and URLs use.
func NormalizeTag(tag string) string {
	return norm.NFC.String(strings.ToLower(tag))
}

// linkStateKey carries one Render call's Options and results through goldmark,
// whose parser and renderer are shared by all calls.
var linkStateKey = parser.NewContextKey()

type linkState struct {
	opts     Options
	known    map[string]string // username -> profile URL, "" when not a member
	mentions []string
	tags     []string
	seenTags map[string]bool
}

// linkText replaces the mentions and tags in t with link nodes, keeping the text
// around them. t stays the last piece so that its line-break flags still apply.
func (st *linkState) linkText(t *ast.Text, source []byte) {
	seg := t.Segment
	parent := t.Parent()
	if parent == nil || seg.Padding != 0 {
		return
	}
	// The first text in a container (paragraph, emphasis, list item…) starts a
	// word whatever markup precedes it in the source, and the last one ends a word
	// whatever follows: "_#tag_", "**@ana**".
	first, last := t.PreviousSibling() == nil, t.NextSibling() == nil
	from := seg.Start // start of text not yet moved before t
	for i := seg.Start; i < seg.Stop; {
		var n ast.Node
		end := i
		b := bounds{stop: seg.Stop, atStart: first && i == seg.Start, endsWord: last}
		switch source[i] {
		case '@':
			n, end = st.mention(source, i, b)
		case '#':
			n, end = st.tag(source, i, b)
		}
		if n == nil {
			i++
			continue
		}
		if from < i {
			parent.InsertBefore(parent, t, ast.NewTextSegment(text.NewSegment(from, i)))
		}
		parent.InsertBefore(parent, t, n)
		from, i = end, end
	}
	t.Segment = seg.WithStart(from)
}

// mention returns a mention node for "@name" or "@name@host" at source[i], if
// Options.Mention knows the person, and the end of the match. Not a mention: "a@b.com"
// (word before @), "x/@name" (a path).
func (st *linkState) mention(source []byte, i int, b bounds) (ast.Node, int) {
	if st.opts.Mention == nil || !b.atStart && !mayStartWord(source, i, "/\\") {
		return nil, 0
	}
	j := i + 1
	for j < b.stop && j-i-1 <= maxUsername && isUsernameByte(source[j]) {
		j++
	}
	if n := j - i - 1; n == 0 || n > maxUsername {
		return nil, 0
	}
	name := strings.ToLower(string(source[i+1 : j]))
	if j < b.stop && source[j] == '@' {
		// @name@host: a partner's member.
		end := hostEnd(source, j+1, b.stop)
		if end == j+1 {
			return nil, 0
		}
		name += "@" + strings.ToLower(string(source[j+1:end]))
		j = end
	}
	if j < b.stop || !b.endsWord {
		if r, _ := utf8.DecodeRune(source[j:]); isWordRune(r) || r == '@' {
			return nil, 0
		}
	}
	url, ok := st.lookup(name)
	if !ok {
		return nil, 0
	}
	return &mentionNode{username: name, url: url}, j
}

// maxHost bounds a mention's host name (DNS's limit).
const maxHost = 253

// hostEnd returns the end of the host name (dot-separated labels of [A-Za-z0-9-],
// then an optional :port) that starts at source[i], or i if there is none. A final
// dot or hyphen ends the sentence, not the host.
func hostEnd(source []byte, i, stop int) int {
	j := i
	for j < stop && j-i < maxHost && (isUsernameByte(source[j]) && source[j] != '_' || source[j] == '.' || source[j] == '-') {
		j++
	}
	for j > i && (source[j-1] == '.' || source[j-1] == '-') {
		j--
	}
	if j < stop && source[j] == ':' {
		k := j + 1
		for k < stop && k-j <= 5 && '0' <= source[k] && source[k] <= '9' {
			k++
		}
		if k > j+1 && (k == stop || !isWordRune(rune(source[k]))) {
			j = k
		}
	}
	return j
}

// lookup asks Options.Mention once per username (it may cost a database query).
func (st *linkState) lookup(name string) (string, bool) {
	if url, seen := st.known[name]; seen {
		return url, url != ""
	}
	if st.known == nil {
		st.known = map[string]string{}
	}
	url, ok := st.opts.Mention(name)
	if !ok || url == "" {
		st.known[name] = ""
		return "", false
	}
	st.known[name] = url
	st.mentions = append(st.mentions, name)
	return url, true
}

// tag returns a hashtag node for "#word" at source[i] and the end of the match.
// Not a tag: all digits ("#123"), longer than maxTag, "&#35;" (an entity), "x/#frag"
// or ")#frag" (URL fragments), "\#word" (escaped by the author).
func (st *linkState) tag(source []byte, i int, b bounds) (ast.Node, int) {
	if st.opts.TagURL == nil || !b.atStart && !mayStartWord(source, i, "/\\)&") {
		return nil, 0
	}
	j, runes, letter := i+1, 0, false
	for j < b.stop && runes <= maxTag {
		r, size := utf8.DecodeRune(source[j:b.stop])
		if !isWordRune(r) {
			break
		}
		letter = letter || !unicode.IsDigit(r) && !unicode.IsMark(r)
		runes++
		j += size
	}
	if runes == 0 || runes > maxTag || !letter {
		return nil, 0
	}
	if j < b.stop || !b.endsWord {
		if r, _ := utf8.DecodeRune(source[j:]); isWordRune(r) {
			return nil, 0
		}
	}
	display := string(source[i+1 : j])
	name := NormalizeTag(display)
	if !st.seenTags[name] {
		if st.seenTags == nil {
			st.seenTags = map[string]bool{}
		}
		st.seenTags[name] = true
		st.tags = append(st.tags, name)
	}
	return &hashtagNode{display: display, url: st.opts.TagURL(name)}, j
}

// bounds is where a candidate at source[i] sits in its Text node.
type bounds struct {
	stop     int  // end of the node's text
	atStart  bool // i is where a container's first text begins
	endsWord bool // the node is its container's last child, so stop ends a word
}

// mayStartWord reports whether a mention or tag may begin at source[i]: at the
// start, or after a rune that is neither part of a word nor one of notAfter.
func mayStartWord(source []byte, i int, notAfter string) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRune(source[:i])
	return !isWordRune(r) && !strings.ContainsRune(notAfter, r)
}

func isUsernameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// isWordRune reports whether r is part of a word: a letter, digit, combining mark
// (so decomposed "e\u0301" and Indic scripts stay whole) or underscore.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

var (
	kindMention = ast.NewNodeKind("RucheMention")
	kindHashtag = ast.NewNodeKind("RucheHashtag")
)

// mentionNode is a linked @username.
type mentionNode struct {
	ast.BaseInline
	username, url string
}

func (n *mentionNode) Kind() ast.NodeKind { return kindMention }

func (n *mentionNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Username": n.username, "URL": n.url}, nil)
}

// hashtagNode is a linked #tag; display keeps the author's spelling.
type hashtagNode struct {
	ast.BaseInline
	display, url string
}

func (n *hashtagNode) Kind() ast.NodeKind { return kindHashtag }

func (n *hashtagNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Display": n.display, "URL": n.url}, nil)
}

// linkRenderer writes mentions and hashtags in the markup Mastodon uses, which apps
// recognise by its classes. Values are escaped here; Sanitize checks the URLs.
type linkRenderer struct{}

func (linkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMention, renderMention)
	reg.Register(kindHashtag, renderHashtag)
}

func renderMention(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*mentionNode)
		_, _ = w.WriteString(`<span class="h-card" translate="no"><a href="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.url)))
		_, _ = w.WriteString(`" class="u-url mention">@<span>`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.username)))
		_, _ = w.WriteString(`</span></a></span>`)
	}
	return ast.WalkSkipChildren, nil
}

func renderHashtag(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*hashtagNode)
		_, _ = w.WriteString(`<a href="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.url)))
		_, _ = w.WriteString(`" class="mention hashtag" rel="tag">#<span>`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.display)))
		_, _ = w.WriteString(`</span></a>`)
	}
	return ast.WalkSkipChildren, nil
}
