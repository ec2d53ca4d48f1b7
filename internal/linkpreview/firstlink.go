package linkpreview

import (
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// FirstLink returns the URL a post's card is made from: the first http(s) link of the
// post, and whether there is one. s is either the post's rendered HTML or plain text.
//
// In HTML (any element present), only <a href> links count, in document order, and
// not those that are part of the conversation rather than content: mentions and
// hashtags (class "mention", "hashtag", "u-url" or "h-card", or rel containing "tag",
// the markup Ruche and Mastodon render them with) and the "RE:" link of a quote
// (inside an element of class "quote-inline"). A URL left as text in HTML was not
// linked on purpose (in code, say) and is not considered. In plain text, the first
// http:// or https:// URL is taken, without trailing punctuation.
func FirstLink(s string) (string, bool) {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil { // the parser only fails on reader errors
		return "", false
	}
	if !hasElement(body(doc)) {
		return firstTextURL(s)
	}
	return firstAnchor(doc)
}

// body is the <body> that html.Parse always builds, or n if there is none.
func body(n *html.Node) *html.Node {
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && c.Data == "body" {
			return c
		}
	}
	return n
}

func hasElement(n *html.Node) bool {
	for c := range n.Descendants() {
		if c.Type == html.ElementNode {
			return true
		}
	}
	return false
}

func firstAnchor(n *html.Node) (string, bool) {
	if n.Type == html.ElementNode {
		if hasWord(attr(n, "class"), "quote-inline") {
			return "", false
		}
		if n.Data == "a" {
			if isConversationLink(n) {
				return "", false
			}
			if u, ok := httpURL(attr(n, "href")); ok {
				return u, true
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if u, ok := firstAnchor(c); ok {
			return u, true
		}
	}
	return "", false
}

func isConversationLink(a *html.Node) bool {
	class := attr(a, "class")
	for _, w := range []string{"mention", "hashtag", "u-url", "h-card"} {
		if hasWord(class, w) {
			return true
		}
	}
	return hasWord(attr(a, "rel"), "tag")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// hasWord reports whether the space-separated list s holds w, ignoring case.
func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

// httpURL returns raw normalised if it is an absolute http(s) URL with a host.
func httpURL(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", false
	}
	return u.String(), true
}

var textURL = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+`)

func firstTextURL(s string) (string, bool) {
	for _, m := range textURL.FindAllString(s, -1) {
		if u, ok := httpURL(trimTrailing(m)); ok {
			return u, true
		}
	}
	return "", false
}

// trimTrailing drops the punctuation that ends a sentence rather than a URL, and a
// closing parenthesis with no opening one in the URL ("(see https://x.example/a)").
func trimTrailing(s string) string {
	for s != "" {
		last := s[len(s)-1]
		switch {
		case strings.IndexByte(".,;:!?'\"", last) >= 0:
			s = s[:len(s)-1]
		case last == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}
