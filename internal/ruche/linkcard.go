package ruche

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/ruche-hive/ruche/internal/linkpreview"
)

// LinkCard is the preview of a post's first link: what the page says of itself.
// Pictures of pages are not shown: loading them would tell a third party who reads
// the post.
type LinkCard struct {
	URL         string // the link as posted
	Kind        string // "link", or "photo" when the page is one
	Title       string
	Description string
	AuthorName  string
	Provider    string // the site's name
}

// Previews fetches the cards of posts' first links, in the background (a job per new
// URL, queued with the post): a preview never delays posting, and a page is fetched
// once for every post that links to it.
type Previews struct {
	Store   CardStore
	Fetcher *linkpreview.Fetcher
}

// CardStore keeps link cards.
type CardStore interface {
	// SaveCard records the outcome of a fetch: the card, or a failure (nil card).
	SaveCard(ctx context.Context, url string, c *LinkCard) error
}

// cardLink is the link a post's card is for: its first link (not a mention or tag),
// http(s), and not longer than a card row takes.
func cardLink(html string) string {
	link, ok := linkpreview.FirstLink(html)
	if !ok || len(link) > 2048 {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return link
}

// Fetch fetches and records the card of url (the job's work). A page that gives no
// card, or that may not be fetched (an internal host; a private address outside
// development), is recorded as failed and not asked again.
func (p *Previews) Fetch(ctx context.Context, link string) error {
	c, err := p.Fetcher.Fetch(ctx, link)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err // stopping: the job runs again
		}
		return p.Store.SaveCard(ctx, link, nil)
	}
	kind := c.Type
	if kind != "photo" {
		kind = "link"
	}
	return p.Store.SaveCard(ctx, link, &LinkCard{URL: link, Kind: kind, Title: strings.TrimSpace(c.Title),
		Description: c.Description, AuthorName: c.AuthorName, Provider: c.ProviderName})
}
