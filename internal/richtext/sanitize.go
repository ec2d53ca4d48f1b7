// Package richtext is the one place where HTML that people or partner instances wrote
// is made safe to show. Every path that renders user or remote HTML (posts, bios,
// federated content) goes through Sanitize and its single policy; nothing else in the
// program may build HTML from user text except by escaping it (html/template).
// Render turns a local post's Markdown source into such HTML, linking mentions and
// hashtags the way Mastodon apps expect.
package richtext

import (
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// policy allows the formatting Mastodon-compatible content uses, and the microformat
// classes that apps rely on to recognise mentions, hashtags and shortened links.
var policy = newPolicy()

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "b", "em", "i", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	// rel only gets through so that fixLinkRels can keep "tag" (hashtag links);
	// every other value is replaced by the fixed set below.
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^[A-Za-z -]{1,100}$`)).OnElements("a")
	classes := regexp.MustCompile(`^(?:(?:mention|hashtag|u-url|h-card|invisible|ellipsis)\s*)+$`)
	p.AllowAttrs("class").Matching(classes).OnElements("a", "span")
	// translate="no" keeps browser translation away from @names in mention cards.
	p.AllowAttrs("translate").Matching(regexp.MustCompile(`^no$`)).OnElements("span")
	p.AllowElements("span")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	return p
}

// Sanitize returns html with everything outside the policy removed. Every link that
// keeps its href carries rel="nofollow noopener noreferrer" (preceded by "tag" when
// the input marked it as a hashtag link); links without href carry no rel.
func Sanitize(html string) string {
	return fixLinkRels(policy.Sanitize(html))
}

// linkRel is what every surviving link says about itself: no endorsement for search
// engines, no window.opener for the target, no Referer leaking the reader's page.
const linkRel = "nofollow noopener noreferrer"

// fixLinkRels sets the rel of every <a> in s, which must be bluemonday output.
// bluemonday can add nofollow and noreferrer but not noopener (except together with
// target=_blank, which we do not want), so the rel attribute is rewritten here.
// In policy output every literal '<' opens a tag and no attribute value holds a
// '>' (text and values are escaped), so each "<a" up to the next '>' is a whole
// start tag, exactly as a browser would read it; only those tags are re-serialized.
func fixLinkRels(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; ; {
		j := strings.Index(s[i:], "<a")
		if j < 0 {
			break
		}
		j += i
		k := strings.IndexByte(s[j:], '>')
		if k < 0 {
			break
		}
		k += j + 1
		i = k
		if !isATag(s[j:k]) {
			i = j + 2
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s) + len(s)/8)
		}
		b.WriteString(s[done:j])
		writeATag(&b, s[j:k])
		done = k
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// writeATag writes the <a> start tag with its rel set: "nofollow noopener
// noreferrer", preceded by "tag" if the tag said so, and no rel without an href.
func writeATag(b *strings.Builder, tag string) {
	var buf [8]html.Attribute
	attrs, ok := splitAttrs(buf[:0], tag)
	if !ok {
		b.WriteString(fixATagSlow(tag))
		return
	}
	b.WriteString("<a")
	hasHref, isTag := false, false
	for _, a := range attrs {
		switch a.Key {
		case "rel":
			isTag = hasWord(a.Val, "tag")
			continue
		case "href":
			hasHref = true
		}
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteString(`="`)
		b.WriteString(a.Val) // still escaped as bluemonday wrote it
		b.WriteByte('"')
	}
	if hasHref {
		b.WriteString(` rel="`)
		if isTag {
			b.WriteString("tag ")
		}
		b.WriteString(linkRel)
		b.WriteByte('"')
	}
	b.WriteByte('>')
}

// splitAttrs appends to attrs the attributes of a start tag in the exact form
// bluemonday writes, <a key="escaped value" ...>, without unescaping them; ok is
// false for any other form.
func splitAttrs(attrs []html.Attribute, tag string) (_ []html.Attribute, ok bool) {
	rest, ok := strings.CutPrefix(tag, "<a")
	if !ok {
		return nil, false
	}
	rest, ok = strings.CutSuffix(rest, ">")
	for ok && rest != "" {
		var key, val string
		if rest, ok = strings.CutPrefix(rest, " "); !ok {
			break
		}
		if key, rest, ok = strings.Cut(rest, `="`); !ok || !isAttrName(key) {
			return nil, false
		}
		if val, rest, ok = strings.Cut(rest, `"`); !ok {
			break
		}
		attrs = append(attrs, html.Attribute{Key: key, Val: val})
	}
	return attrs, ok
}

// fixATagSlow is fixATag for tags not in bluemonday's usual form: it parses them as
// a browser would.
func fixATagSlow(tag string) string {
	z := html.NewTokenizer(strings.NewReader(tag))
	z.Next()
	tok := z.Token()
	hasHref, isTag := false, false
	attrs := tok.Attr[:0]
	for _, a := range tok.Attr {
		switch a.Key {
		case "rel":
			isTag = hasWord(a.Val, "tag")
		case "href":
			hasHref = true
			attrs = append(attrs, a)
		default:
			attrs = append(attrs, a)
		}
	}
	if hasHref {
		rel := linkRel
		if isTag {
			rel = "tag " + linkRel
		}
		attrs = append(attrs, html.Attribute{Key: "rel", Val: rel})
	}
	tok.Attr = attrs
	return tok.String()
}

// isATag reports whether raw is the start tag of an <a> element (bluemonday writes
// element names in lower case).
func isATag(raw string) bool {
	return len(raw) > 2 && raw[0] == '<' && raw[1] == 'a' &&
		(raw[2] == ' ' || raw[2] == '>' || raw[2] == '/' || raw[2] == '\t' || raw[2] == '\n')
}

// isAttrName reports whether s is a lower-case attribute name as bluemonday writes
// them; anything else ("REL", "x:y") goes to the tokenizer, which normalizes it.
func isAttrName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return s != ""
}

// hasWord reports whether the space-separated list s contains w (ASCII case-insensitively).
func hasWord(s, w string) bool {
	for f := range strings.FieldsSeq(s) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}
