package webui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// streamData is what a stream page shows.
type streamData struct {
	Heading    string // catalogue key
	HeadingArg string
	Compose    *composeData // nil: no compose box on this page
	Posts      []ruche.Post
	Older      string // link to the next page, "" at the end
	Profile    *ruche.Profile
	Kind       ruche.StreamKind
	Live       *ruche.Stream // set on the newest page of a stream that updates live
}

// composeData fills the compose form, again after an error.
type composeData struct {
	Source, SpoilerText string
	Visibility          ruche.Visibility
	InReplyToID         int64
	EventTitle          string
	EventStart          string
	EventEnd            string
	EventPlace          string
	Visibilities        []ruche.Visibility
	Back                string // where to go after posting
	Group               string // the group's handle, when posting in a group
	// Audience is the group the post goes to, when known: the box then names the
	// instances whose people read it (a partner's group, or one shared with partners).
	Audience *ruche.GroupRef
	// Descriptions are the alt texts typed for the files, in their order.
	Descriptions []string
}

// groupAudience is what the compose box says of group g.
func groupAudience(g ruche.Group) *ruche.GroupRef {
	return &ruche.GroupRef{ID: g.ID, Handle: g.Handle, Name: g.Name, Domain: g.Domain, SharedWith: g.SharedWith}
}

func newCompose(back string) *composeData {
	return &composeData{Visibility: ruche.VisCompany, Visibilities: ruche.Visibilities, Back: back}
}

// pageParam reads max_id from the query.
func pageParam(r *http.Request) ruche.Page {
	max, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	return ruche.Page{MaxID: max, Limit: 20}
}

// olderLink is the link to the page after posts, or "" when the page was not full.
func olderLink(r *http.Request, posts []ruche.Post, limit int) string {
	if len(posts) < limit {
		return ""
	}
	q := url.Values{"max_id": {strconv.FormatInt(posts[len(posts)-1].ID, 10)}}
	if s := r.URL.Query().Get("q"); s != "" {
		q.Set("q", s)
	}
	return r.URL.EscapedPath() + "?" + q.Encode()
}

func (ui *UI) stream(w http.ResponseWriter, r *http.Request, title string, d streamData, s ruche.Stream) error {
	pg := pageParam(r)
	posts, err := ui.Posts.Timeline(r.Context(), *viewer(r), s, pg)
	if err != nil {
		return err
	}
	d.Posts, d.Older, d.Kind = posts, olderLink(r, posts, pg.Limit), s.Kind
	if pg.MaxID == 0 && s.Kind != ruche.StreamBookmarks {
		d.Live = &s
	}
	ui.render(w, r, http.StatusOK, "stream", title, d, "")
	return nil
}

// Home is the member's home stream: their own posts and those of people they follow.
func (ui *UI) Home(w http.ResponseWriter, r *http.Request) error {
	d := streamData{Heading: "stream.home", HeadingArg: viewer(r).Name(), Compose: newCompose("/")}
	if viewer(r).Role == ruche.RoleGuest {
		d.Compose.Visibility = ruche.VisDirect
	}
	return ui.stream(w, r, "home.title", d, ruche.Stream{Kind: ruche.StreamHome})
}

// Company is every member's company-wide posts.
func (ui *UI) Company(w http.ResponseWriter, r *http.Request) error {
	return ui.stream(w, r, "stream.company", streamData{Heading: "stream.company", Compose: newCompose("/company")},
		ruche.Stream{Kind: ruche.StreamCompany})
}

// Tag is the whole history of a tag.
func (ui *UI) Tag(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	return ui.stream(w, r, "stream.tag_title", streamData{Heading: "stream.tag", HeadingArg: tag},
		ruche.Stream{Kind: ruche.StreamTag, Tag: tag})
}

// Bookmarks lists the member's bookmarked posts.
func (ui *UI) Bookmarks(w http.ResponseWriter, r *http.Request) error {
	return ui.stream(w, r, "stream.bookmarks", streamData{Heading: "stream.bookmarks"}, ruche.Stream{Kind: ruche.StreamBookmarks})
}

// Profile is a member's page and posts.
func (ui *UI) Profile(w http.ResponseWriter, r *http.Request) error {
	p, err := ui.Posts.Profile(r.Context(), *viewer(r), r.PathValue("username"))
	if ruche.ErrorCode(err) == ruche.CodeNotFound {
		// @handle may name a group: its page is under /groups (if one may know of it).
		if g, gerr := ui.Groups.Get(r.Context(), *viewer(r), r.PathValue("username")); gerr == nil {
			http.Redirect(w, r, "/groups/"+url.PathEscape(g.Acct()), http.StatusFound)
			return nil
		}
	}
	if err != nil {
		return err
	}
	return ui.stream(w, r, "profile.title", streamData{Profile: &p}, ruche.Stream{Kind: ruche.StreamProfile, AccountID: p.ID})
}

// Events lists upcoming events.
func (ui *UI) Events(w http.ResponseWriter, r *http.Request) error {
	posts, err := ui.Posts.UpcomingEvents(r.Context(), *viewer(r))
	if err != nil {
		return err
	}
	ui.render(w, r, http.StatusOK, "stream", "stream.events", streamData{Heading: "stream.events", Posts: posts}, "")
	return nil
}

// composeForm reads the compose form's fields.
func composeForm(v url.Values) (*composeData, ruche.NewPost, error) {
	c := &composeData{
		Source: v.Get("source"), SpoilerText: v.Get("spoiler_text"),
		Visibility: ruche.Visibility(v.Get("visibility")), Visibilities: ruche.Visibilities,
		EventTitle: v.Get("event_title"), EventStart: v.Get("event_start"),
		EventEnd: v.Get("event_end"), EventPlace: v.Get("event_place"),
		Back: localPath(v.Get("back")), Group: v.Get("group"),
		Descriptions: v["media_description"],
	}
	c.InReplyToID, _ = strconv.ParseInt(v.Get("in_reply_to_id"), 10, 64)
	n := ruche.NewPost{Source: c.Source, SpoilerText: c.SpoilerText, Visibility: c.Visibility, InReplyToID: c.InReplyToID,
		GroupHandle: c.Group}
	if c.EventTitle != "" || c.EventStart != "" || c.EventEnd != "" || c.EventPlace != "" {
		e := &ruche.Event{Title: c.EventTitle, Place: c.EventPlace}
		var err error
		if c.EventStart != "" {
			if e.Start, err = parseLocalTime(c.EventStart); err != nil {
				return c, n, err
			}
		}
		if c.EventEnd != "" {
			end, err := parseLocalTime(c.EventEnd)
			if err != nil {
				return c, n, err
			}
			e.End = &end
		}
		n.Event = e
	}
	return c, n, nil
}

// parseLocalTime reads an <input type="datetime-local"> value, in UTC until members
// have a time zone setting.
func parseLocalTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ruche.Errorf(ruche.CodeInvalid, "error.event_time_invalid")
}

// localPath keeps redirects on this site. Control characters are refused too:
// browsers drop a tab or newline, so "/\t/evil.example" would become "//evil.example".
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") ||
		strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return p
}

// CreatePost publishes a post or a reply, with the files the form carries.
func (ui *UI) CreatePost(w http.ResponseWriter, r *http.Request) error {
	in, err := ui.readCompose(w, r)
	c, n, ferr := composeForm(in.values)
	if err == nil {
		err = ferr
	}
	if err == nil {
		n.MediaIDs = mediaIDs(in.media)
		var p ruche.Post
		if p, err = ui.Posts.Create(r.Context(), *viewer(r), n); err == nil {
			to := c.Back
			if n.InReplyToID != 0 {
				to = "/posts/" + strconv.FormatInt(n.InReplyToID, 10) + "#p" + strconv.FormatInt(p.ID, 10)
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil
		}
	}
	if ruche.ErrorCode(err) != ruche.CodeInvalid {
		return err
	}
	// Show the form again with what was typed and what is wrong; nothing was posted.
	// Files cannot be given back to a file field: the member chooses them again (the
	// uploads left unattached are swept within a day).
	msg := ui.message(r, err)
	if in.refused != "" {
		msg = i18n.FromContext(r.Context(), ui.Catalog).T("compose.media_refused", in.refused, msg)
	}
	if c.Group != "" {
		if g, err := ui.Groups.Get(r.Context(), *viewer(r), c.Group); err == nil {
			c.Audience = groupAudience(g)
		}
	}
	ui.render(w, r, ruche.CodeInvalid.HTTPStatus(), "compose", "compose.title", streamData{Heading: "compose.title", Compose: c}, msg)
	return nil
}

func postID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ruche.Errorf(ruche.CodeNotFound, "error.post_not_found")
	}
	return id, nil
}

// postAt returns the post the address names, as the viewer sees it.
func (ui *UI) postAt(r *http.Request) (ruche.Post, error) {
	id, err := postID(r)
	if err != nil {
		return ruche.Post{}, err
	}
	return ui.Posts.Post(r.Context(), *viewer(r), id)
}

type threadData struct {
	Ancestors   []ruche.Post
	Post        ruche.Post
	Descendants []ruche.Post
	Compose     *composeData
	Edits       []ruche.PostEdit
}

// Thread shows a post with the conversation around it and a reply box.
func (ui *UI) Thread(w http.ResponseWriter, r *http.Request) error {
	id, err := postID(r)
	if err != nil {
		return err
	}
	anc, post, desc, err := ui.Posts.Thread(r.Context(), *viewer(r), id)
	if err != nil {
		return err
	}
	if post.Reblog != nil {
		http.Redirect(w, r, "/posts/"+strconv.FormatInt(post.Reblog.ID, 10), http.StatusFound)
		return nil
	}
	c := newCompose("")
	c.InReplyToID, c.Visibility, c.Audience = post.ID, post.Visibility, post.Group
	// Everyone in the conversation stays in it: the author and whoever the post names.
	me := viewer(r).ID
	var names []string
	if post.Author.ID != me {
		// A partner's member by their whole handle: "@zoe" alone would name a local zoe.
		names = append(names, "@"+post.Author.Handle())
	}
	for _, m := range post.Mentions {
		if m.ID != me && m.ID != post.Author.ID {
			names = append(names, "@"+m.Handle())
		}
	}
	if len(names) > 0 {
		c.Source = strings.Join(names, " ") + " "
	}
	ui.render(w, r, http.StatusOK, "thread", "thread.title", threadData{Ancestors: anc, Post: post, Descendants: desc, Compose: c}, "")
	return nil
}

// History shows the earlier versions of an edited post.
func (ui *UI) History(w http.ResponseWriter, r *http.Request) error {
	post, err := ui.postAt(r)
	if err != nil {
		return err
	}
	if post.Reblog != nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.post_not_found")
	}
	edits, err := ui.Posts.Edits(r.Context(), *viewer(r), post.ID)
	if err != nil {
		return err
	}
	ui.render(w, r, http.StatusOK, "history", "history.title", threadData{Post: post, Edits: edits}, "")
	return nil
}

// EditForm shows the author's post in the edit form.
func (ui *UI) EditForm(w http.ResponseWriter, r *http.Request) error {
	post, err := ui.postAt(r)
	if err != nil {
		return err
	}
	if post.Author.ID != viewer(r).ID || post.Reblog != nil {
		return ruche.Errorf(ruche.CodeForbidden, "error.edit_not_yours")
	}
	c := &composeData{Source: post.Source, SpoilerText: post.SpoilerText, Visibility: post.Visibility}
	ui.render(w, r, http.StatusOK, "edit", "edit.title", threadData{Post: post, Compose: c}, "")
	return nil
}

// Edit saves a new version of the author's post.
func (ui *UI) Edit(w http.ResponseWriter, r *http.Request) error {
	id, err := postID(r)
	if err != nil {
		return err
	}
	source, spoiler := r.PostFormValue("source"), r.PostFormValue("spoiler_text")
	post, err := ui.Posts.Edit(r.Context(), *viewer(r), id, source, spoiler)
	if ruche.ErrorCode(err) == ruche.CodeInvalid {
		c := &composeData{Source: source, SpoilerText: spoiler}
		ui.render(w, r, ruche.CodeInvalid.HTTPStatus(), "edit", "edit.title", threadData{Post: ruche.Post{ID: id}, Compose: c}, ui.message(r, err))
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/posts/"+strconv.FormatInt(post.ID, 10), http.StatusSeeOther)
	return nil
}

// Act applies one of the buttons under a post (like, boost, bookmark, delete and
// their undoing), then goes back to where the member was.
func (ui *UI) Act(w http.ResponseWriter, r *http.Request) error {
	id, err := postID(r)
	if err != nil {
		return err
	}
	ctx, u := r.Context(), *viewer(r)
	switch r.PathValue("action") {
	case "like":
		err = ui.Posts.SetLiked(ctx, u, id, true)
	case "unlike":
		err = ui.Posts.SetLiked(ctx, u, id, false)
	case "boost":
		err = ui.Posts.SetBoosted(ctx, u, id, true)
	case "unboost":
		err = ui.Posts.SetBoosted(ctx, u, id, false)
	case "bookmark":
		err = ui.Posts.SetBookmarked(ctx, u, id, true)
	case "unbookmark":
		err = ui.Posts.SetBookmarked(ctx, u, id, false)
	case "pin", "unpin":
		var p ruche.Post
		if p, err = ui.Posts.Post(ctx, u, id); err == nil {
			if p.Group == nil {
				return ruche.Errorf(ruche.CodeNotFound, "error.post_not_found")
			}
			err = ui.Groups.SetPinned(ctx, u, p.Group.Acct(), id, r.PathValue("action") == "pin")
		}
	case "delete":
		if err = ui.Posts.Delete(ctx, u, id); err == nil {
			http.Redirect(w, r, "/?done=deleted", http.StatusSeeOther)
			return nil
		}
	default:
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	if err != nil {
		return err
	}
	back := localPath(r.PostFormValue("back"))
	http.Redirect(w, r, back+"#p"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
