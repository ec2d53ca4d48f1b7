// Package richtext is the one place where HTML that people or partner instances wrote
// is made safe to show. Every path that renders user or remote HTML (posts, bios,
// federated content) goes through Sanitize and its single policy; nothing else in the
// program may build HTML from user text except by escaping it (html/template).
package richtext

import (
	"regexp"

	"github.com/microcosm-cc/bluemonday"
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
	classes := regexp.MustCompile(`^(?:(?:mention|hashtag|u-url|h-card|invisible|ellipsis)\s*)+$`)
	p.AllowAttrs("class").Matching(classes).OnElements("a", "span")
	p.AllowElements("span")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	return p
}

// Sanitize returns html with everything outside the policy removed.
func Sanitize(html string) string {
	return policy.Sanitize(html)
}
