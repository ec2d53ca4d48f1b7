package linkpreview

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Caps on card fields, in runes; URLs longer than maxURL bytes are dropped rather
// than cut, since a cut URL points elsewhere.
const (
	maxTitle       = 300
	maxDescription = 1000
	maxName        = 300
	maxURL         = 2048
	maxDimension   = 1 << 15
)

// head is what a page's <head> says about it.
type head struct {
	meta   map[string]string // lower-cased property or name → first content
	title  string
	oembed string // href of the first JSON oEmbed link
}

// parseHead reads r up to the end of the head (or the start of the body, or the end
// of r). The error is r's, other than io.EOF.
func parseHead(r io.Reader) (head, error) {
	h := head{meta: map[string]string{}}
	z := html.NewTokenizer(r)
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return h, err
			}
			return h, nil
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "head" {
				return h, nil
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "body":
				return h, nil
			case "title":
				if z.Next() == html.TextToken && h.title == "" {
					h.title = string(z.Text())
				}
			case "meta":
				a := attrs(z)
				key := a["property"]
				if key == "" {
					key = a["name"]
				}
				key = strings.ToLower(strings.TrimSpace(key))
				if _, seen := h.meta[key]; key != "" && !seen {
					h.meta[key] = a["content"]
				}
			case "link":
				a := attrs(z)
				if h.oembed == "" && hasWord(a["rel"], "alternate") &&
					strings.EqualFold(strings.TrimSpace(a["type"]), "application/json+oembed") {
					h.oembed = a["href"]
				}
			}
		}
	}
}

// attrs returns the current tag's attributes, names lower-cased, first one winning.
func attrs(z *html.Tokenizer) map[string]string {
	m := map[string]string{}
	for {
		k, v, more := z.TagAttr()
		if _, seen := m[string(k)]; !seen {
			m[string(k)] = string(v)
		}
		if !more {
			return m
		}
	}
}

// oembed is the part of an oEmbed response a card uses. "html" is not decoded.
type oembed struct {
	Type            string   `json:"type"`
	Title           string   `json:"title"`
	AuthorName      string   `json:"author_name"`
	AuthorURL       string   `json:"author_url"`
	ProviderName    string   `json:"provider_name"`
	ProviderURL     string   `json:"provider_url"`
	URL             string   `json:"url"`
	Width           looseInt `json:"width"`
	Height          looseInt `json:"height"`
	ThumbnailURL    string   `json:"thumbnail_url"`
	ThumbnailWidth  looseInt `json:"thumbnail_width"`
	ThumbnailHeight looseInt `json:"thumbnail_height"`
}

// looseInt reads a size given as a number or a string, as providers do both; anything
// else is 0 rather than a failed document.
type looseInt int

func (n *looseInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f <= maxDimension {
		*n = looseInt(f)
	}
	return nil
}

// fetchOEmbed returns u's oEmbed document, or nil when it cannot be had: a card
// without it is still a card.
func (f *Fetcher) fetchOEmbed(ctx context.Context, client *http.Client, u *url.URL) *oembed {
	if f.isInternal(u.Hostname()) {
		return nil
	}
	resp, err := f.get(ctx, client, u, "application/json")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var o oembed
	if err := json.NewDecoder(io.LimitReader(resp.Body, f.maxBytes())).Decode(&o); err != nil {
		return nil
	}
	return &o
}

// makeCard chooses, field by field, the first source that gives a usable value:
// OpenGraph, then Twitter's tags, then oEmbed, then plain HTML.
func makeCard(page *url.URL, h head, o *oembed) Card {
	if o == nil {
		o = &oembed{}
	}
	m := h.meta
	c := Card{Type: "link", URL: page.String()}
	if canon, ok := resolveHTTP(page, m["og:url"]); ok && strings.EqualFold(canon.Hostname(), page.Hostname()) {
		c.URL = canon.String()
	}
	c.Title = first(maxTitle, m["og:title"], m["twitter:title"], o.Title, h.title)
	c.Description = first(maxDescription, m["og:description"], m["twitter:description"], m["description"])
	c.ProviderName = first(maxName, m["og:site_name"], o.ProviderName)
	c.AuthorName = first(maxName, o.AuthorName, m["author"])
	c.AuthorURL = absolute(page, o.AuthorURL)
	c.ProviderURL = absolute(page, o.ProviderURL)

	images := []struct {
		url  string
		w, h int
	}{
		{m["og:image"], dimension(m["og:image:width"]), dimension(m["og:image:height"])},
		{m["og:image:url"], dimension(m["og:image:width"]), dimension(m["og:image:height"])},
		{m["og:image:secure_url"], dimension(m["og:image:width"]), dimension(m["og:image:height"])},
		{m["twitter:image"], 0, 0},
		{m["twitter:image:src"], 0, 0},
		{o.ThumbnailURL, int(o.ThumbnailWidth), int(o.ThumbnailHeight)},
	}
	if strings.EqualFold(o.Type, "photo") {
		if img := absolute(page, o.URL); img != "" {
			c.Type = "photo"
			c.Image, c.Width, c.Height = img, int(o.Width), int(o.Height)
		}
	}
	for _, img := range images {
		if c.Image != "" {
			break
		}
		if u := absolute(page, img.url); u != "" {
			c.Image, c.Width, c.Height = u, img.w, img.h
		}
	}
	return c
}

// resolveHTTP resolves ref against base, accepting only an http(s) result.
func resolveHTTP(base *url.URL, ref string) (*url.URL, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > maxURL {
		return nil, false
	}
	r, err := url.Parse(ref)
	if err != nil {
		return nil, false
	}
	u := base.ResolveReference(r)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || len(u.String()) > maxURL {
		return nil, false
	}
	return u, true
}

func absolute(base *url.URL, ref string) string {
	if u, ok := resolveHTTP(base, ref); ok {
		return u.String()
	}
	return ""
}

// first returns the first of vs that is not empty once cleaned, capped to max runes.
func first(max int, vs ...string) string {
	for _, v := range vs {
		if s := clean(v, max); s != "" {
			return s
		}
	}
	return ""
}

// clean makes remote text fit for a card: valid UTF-8, no control characters, runs
// of white space as one space, at most max runes (the last being "…" when cut).
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	rs := []rune(s)
	return strings.TrimRightFunc(string(rs[:max-1]), unicode.IsSpace) + "…"
}

func dimension(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > maxDimension {
		return 0
	}
	return n
}
