package mastoapi

import (
	"net/url"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Status is Mastodon's Status.
type Status struct {
	ID                 string            `json:"id"`
	URI                string            `json:"uri"`
	URL                string            `json:"url"`
	CreatedAt          string            `json:"created_at"`
	EditedAt           *string           `json:"edited_at"`
	Account            Account           `json:"account"`
	Content            string            `json:"content"`
	Text               *string           `json:"text,omitempty"` // only when deleting (for redraft)
	Visibility         string            `json:"visibility"`
	Sensitive          bool              `json:"sensitive"`
	SpoilerText        string            `json:"spoiler_text"`
	InReplyToID        *string           `json:"in_reply_to_id"`
	InReplyToAccountID *string           `json:"in_reply_to_account_id"`
	Reblog             *Status           `json:"reblog"`
	Application        *AppRef           `json:"application,omitempty"`
	Language           *string           `json:"language"`
	MediaAttachments   []MediaAttachment `json:"media_attachments"`
	Mentions           []Mention         `json:"mentions"`
	Tags               []TagRef          `json:"tags"`
	Emojis             []any             `json:"emojis"`
	Card               *Card             `json:"card"`
	Poll               any               `json:"poll"`
	RepliesCount       int               `json:"replies_count"`
	ReblogsCount       int               `json:"reblogs_count"`
	FavouritesCount    int               `json:"favourites_count"`
	QuotesCount        int               `json:"quotes_count"`
	Favourited         bool              `json:"favourited"`
	Reblogged          bool              `json:"reblogged"`
	Bookmarked         bool              `json:"bookmarked"`
	Muted              bool              `json:"muted"`
	Pinned             bool              `json:"pinned"`
	Filtered           []any             `json:"filtered"`
	Group              *GroupNote        `json:"ruche_group,omitempty"`
}

// GroupNote names the group of a group post: an extension apps ignore, for clients
// that know Ruche (Mastodon's model has no word for it).
type GroupNote struct {
	ID     string `json:"id"`
	Handle string `json:"handle"`
	Name   string `json:"name"`
	URL    string `json:"url"`
}

// AppRef names the application a status was posted from.
type AppRef struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

// Mention is a mentioned account.
type Mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

// TagRef is a hashtag of a status.
type TagRef struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Card is Mastodon's PreviewCard: a post's first link's preview (with no image: loading
// it would tell the site who reads the post), or an event.
type Card struct {
	URL          string  `json:"url"`
	Title        string  `json:"title"`
	Description  string  `json:"description"`
	Type         string  `json:"type"`
	AuthorName   string  `json:"author_name"`
	AuthorURL    string  `json:"author_url"`
	ProviderName string  `json:"provider_name"`
	ProviderURL  string  `json:"provider_url"`
	HTML         string  `json:"html"`
	Width        int     `json:"width"`
	Height       int     `json:"height"`
	Image        *string `json:"image"`
	EmbedURL     string  `json:"embed_url"`
	Blurhash     *string `json:"blurhash"`
	Authors      []any   `json:"authors"`
}

// Visibility maps Ruche's audiences onto Mastodon's four words. Group posts are
// "private": apps then offer no boost to the world, and the group is named apart.
func Visibility(v ruche.Visibility) string {
	switch v {
	case ruche.VisCompany:
		return "public"
	case ruche.VisQuiet:
		return "unlisted"
	case ruche.VisDirect:
		return "direct"
	}
	return "private" // followers, group
}

// visibilityFrom maps an app's choice back: public → the company, unlisted → quiet.
func visibilityFrom(s string) (ruche.Visibility, bool) {
	switch s {
	case "":
		return "", true
	case "public":
		return ruche.VisCompany, true
	case "unlisted":
		return ruche.VisQuiet, true
	case "private":
		return ruche.VisFollowers, true
	case "direct":
		return ruche.VisDirect, true
	}
	return "", false
}

// status maps a post as the viewer sees it.
func (a *API) status(p ruche.Post) Status {
	s := Status{
		ID: idString(p.ID), URI: a.BaseURL + "/posts/" + idString(p.ID), URL: a.BaseURL + "/posts/" + idString(p.ID),
		CreatedAt: iso(p.CreatedAt), EditedAt: isoPtr(p.EditedAt), Account: a.author(p.Author),
		Content: p.HTML, Visibility: Visibility(p.Visibility), Sensitive: p.SpoilerText != "", SpoilerText: p.SpoilerText,
		MediaAttachments: a.mediaAttachments(p.Media), Mentions: []Mention{}, Tags: []TagRef{}, Emojis: []any{}, Filtered: []any{},
		RepliesCount: p.Replies, ReblogsCount: p.Boosts, FavouritesCount: p.Likes,
		Favourited: p.Liked, Reblogged: p.Boosted, Bookmarked: p.Bookmarked, Pinned: p.Pinned,
	}
	if p.Reblog != nil {
		r := a.status(*p.Reblog)
		s.Reblog = &r
		s.Content, s.Visibility = "", r.Visibility
		return s
	}
	if p.InReplyToID != 0 {
		id := idString(p.InReplyToID)
		s.InReplyToID = &id
		if p.InReplyToAccountID != 0 { // 0: someone the viewer may not know
			acc := idString(p.InReplyToAccountID)
			s.InReplyToAccountID = &acc
		}
	}
	for _, m := range p.Mentions {
		s.Mentions = append(s.Mentions, Mention{ID: idString(m.ID), Username: m.Username, Acct: m.Handle(), URL: a.BaseURL + "/@" + m.Handle()})
	}
	for _, t := range p.Tags {
		s.Tags = append(s.Tags, TagRef{Name: t, URL: a.BaseURL + "/tags/" + url.PathEscape(t)})
	}
	if p.Group != nil {
		// A partner's group is named with its instance (design@acme.example).
		s.Group = &GroupNote{ID: idString(p.Group.ID), Handle: p.Group.Acct(), Name: p.Group.Name, URL: a.BaseURL + "/groups/" + url.PathEscape(p.Group.Acct())}
	}
	if p.Event != nil {
		s.Card = a.eventCard(p)
	} else if c := p.Card; c != nil {
		s.Card = &Card{URL: c.URL, Title: c.Title, Description: c.Description, Type: c.Kind, AuthorName: c.AuthorName,
			ProviderName: c.Provider, Authors: []any{}}
	}
	return s
}

// eventCard shows an event as a link card: its title, when and where.
func (a *API) eventCard(p ruche.Post) *Card {
	e := p.Event
	when := e.Start.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
	if e.End != nil {
		when += " – " + e.End.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
	}
	if e.Place != "" {
		when += " · " + e.Place
	}
	return &Card{URL: a.BaseURL + "/posts/" + idString(p.ID), Title: e.Title, Description: when,
		Type: "link", ProviderName: a.Title, ProviderURL: a.BaseURL, Authors: []any{}}
}

// statuses maps a page of posts.
func (a *API) statuses(ps []ruche.Post) []Status {
	return each(ps, a.status)
}

// StatusSource is what the author wrote, for editing in place (Mastodon's
// StatusSource).
type StatusSource struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	SpoilerText string `json:"spoiler_text"`
}

// StatusEdit is one version of a status (Mastodon's StatusEdit).
type StatusEdit struct {
	Content          string            `json:"content"`
	SpoilerText      string            `json:"spoiler_text"`
	Sensitive        bool              `json:"sensitive"`
	CreatedAt        string            `json:"created_at"`
	Account          Account           `json:"account"`
	MediaAttachments []MediaAttachment `json:"media_attachments"`
	Emojis           []any             `json:"emojis"`
}

// StatusContext is a status's thread as the viewer may see it (Mastodon's Context).
type StatusContext struct {
	Ancestors   []Status `json:"ancestors"`
	Descendants []Status `json:"descendants"`
}

// statusHistory lists a post's versions oldest first, the current one last, as
// Mastodon does: an app shows "edited" with the list and needs the text it now reads
// to compare with. Each version is dated from when it was written.
func (a *API) statusHistory(p ruche.Post, earlier []ruche.PostEdit) []StatusEdit {
	author := a.author(p.Author)
	attached := a.mediaAttachments(p.Media) // edits keep a post's attachments
	version := func(html, spoiler string, at time.Time) StatusEdit {
		return StatusEdit{Content: html, SpoilerText: spoiler, Sensitive: spoiler != "", CreatedAt: iso(at),
			Account: author, MediaAttachments: attached, Emojis: []any{}}
	}
	out := make([]StatusEdit, 0, len(earlier)+1)
	for _, e := range earlier {
		out = append(out, version(e.HTML, e.SpoilerText, e.CreatedAt))
	}
	at := p.CreatedAt
	if p.EditedAt != nil {
		at = *p.EditedAt
	}
	return append(out, version(p.HTML, p.SpoilerText, at))
}
