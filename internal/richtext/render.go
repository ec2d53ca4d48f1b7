package richtext

import (
	"bytes"
	"html"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Options tell Render how to link mentions and tags. Both funcs are required; a nil
// func is treated as "link nothing of that kind" rather than a panic.
type Options struct {
	// Mention returns the profile URL of a member (username is lower-cased,
	// [a-z0-9_]{1,30}, then "@host" for a partner's member), and false when no such
	// member exists — then the text stays plain, unlinked. Render asks at most once
	// per distinct name.
	Mention func(username string) (url string, ok bool)
	// TagURL returns the URL of a tag's page (tag as normalized by NormalizeTag).
	TagURL func(tag string) string
}

// Rendered is a post's HTML and what it refers to.
type Rendered struct {
	HTML     string   // sanitized by the one policy
	Mentions []string // lower-cased names (username or username@host) actually linked, unique, in order of first appearance
	Tags     []string // normalized tags, unique, in order of first appearance
}

// markdown is shared by all calls; goldmark parsers and renderers are safe for
// concurrent use, and everything per call lives in the parser.Context.
var markdown = goldmark.New(
	goldmark.WithExtensions(
		extension.Strikethrough,
		// Only http(s) URLs become links, as on Mastodon; the www. and e-mail links
		// Linkify also makes are turned back into text by postTransformer (cheaper
		// than regexps that never match, which Linkify would run at every word).
		extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
		postExtension{},
	),
	// Unsafe stays off: raw HTML never reaches the output as markup (postTransformer
	// turns it into visible text).
	goldmark.WithRendererOptions(gmhtml.WithHardWraps()),
)

// Render turns Markdown source into sanitized HTML. It never fails: anything outside
// the policy is removed. Raw HTML in the source is shown as text, images as links,
// headings as bold paragraphs. Mentions and tags inside links and code are not linked.
func Render(src string, o Options) Rendered {
	source := []byte(src)
	// CommonMark replaces NUL; doing it up front also covers raw text paths.
	source = bytes.ReplaceAll(source, []byte{0}, []byte("\uFFFD"))
	st := &linkState{opts: o}
	ctx := parser.NewContext()
	ctx.Set(linkStateKey, st)
	doc := markdown.Parser().Parse(text.NewReader(source), parser.WithContext(ctx))
	var buf bytes.Buffer
	buf.Grow(len(source) + len(source)/2 + 64)
	if err := markdown.Renderer().Render(&buf, source, doc); err != nil {
		// Cannot happen with a bytes.Buffer and our node renderers; fall back to the
		// escaped source so that the contract (safe HTML, no error) still holds.
		return Rendered{HTML: Sanitize("<p>" + html.EscapeString(src) + "</p>")}
	}
	return Rendered{
		HTML:     Sanitize(string(bytes.TrimSpace(buf.Bytes()))),
		Mentions: st.mentions,
		Tags:     st.tags,
	}
}

// postExtension adds mention and hashtag linking and the post-specific rewrites.
type postExtension struct{}

func (postExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(util.Prioritized(postTransformer{}, 100)))
	// Lower numbers win over goldmark's default renderer (1000).
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(linkRenderer{}, 100)))
}
