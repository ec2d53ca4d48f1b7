package webui

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// liveStream reads which stream a live connection follows; ok is false for "none"
// (only the unread count).
func liveStream(r *http.Request) (ruche.Stream, bool) {
	q := r.URL.Query()
	switch k := ruche.StreamKind(q.Get("stream")); k {
	case ruche.StreamHome, ruche.StreamCompany:
		return ruche.Stream{Kind: k}, true
	case ruche.StreamTag:
		return ruche.Stream{Kind: k, Tag: q.Get("tag")}, q.Get("tag") != ""
	case ruche.StreamProfile, ruche.StreamGroup:
		id, err := strconv.ParseInt(q.Get("account"), 10, 64)
		return ruche.Stream{Kind: k, AccountID: id}, err == nil
	}
	return ruche.Stream{}, false
}

// writeEvent writes one server-sent event; every line of data gets its own "data:".
// id, when set, is what the browser sends back as Last-Event-ID after a reconnect.
func writeEvent(w http.ResponseWriter, id, event, data string) error {
	var b strings.Builder
	if id != "" {
		fmt.Fprintf(&b, "id: %s\n", id)
	}
	fmt.Fprintf(&b, "event: %s\n", event)
	for _, line := range strings.Split(data, "\n") {
		fmt.Fprintf(&b, "data: %s\n", line)
	}
	b.WriteString("\n")
	_, err := w.Write([]byte(b.String()))
	return err
}

// Live sends, as server-sent events, each new post of one stream (rendered as on the
// page, after the stream's gated query) and the member's unread count. Posts arrive
// through Timeline with MinID, so the visibility gate and the commit horizon apply
// exactly as on the page itself.
func (ui *UI) Live(w http.ResponseWriter, r *http.Request) error {
	u := *viewer(r)
	ctx := r.Context()
	stream, follow := liveStream(r)
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	// A reconnecting browser says what it last received; that wins over the page.
	if last, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && last > after {
		after = last
	}
	if follow && after == 0 {
		// An empty page: everything from now on is new.
		newest, err := ui.Posts.Timeline(ruche.FreshReads(ctx), u, stream, ruche.Page{Limit: 1})
		if err != nil {
			return err
		}
		if len(newest) > 0 {
			after = newest[0].ID
		}
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not hold events back
	w.WriteHeader(http.StatusOK)
	sub := ui.Hub.Subscribe(u.ID)
	defer ui.Hub.Unsubscribe(sub)
	root := ui.pageFor(r, "", nil, "")
	root.Path = localPath(r.URL.Query().Get("page")) // buttons on pushed posts come back to the page, not here

	sendPosts := func() error {
		if !follow {
			return nil
		}
		for {
			posts, err := ui.Posts.Timeline(ruche.FreshReads(ctx), u, stream, ruche.Page{MinID: after, Limit: 40})
			if err != nil {
				return err
			}
			for i := len(posts) - 1; i >= 0; i-- { // oldest first: each is put on top
				var buf bytes.Buffer
				if err := ui.pages["stream"].ExecuteTemplate(&buf, "post", postView{Root: root, Post: posts[i]}); err != nil {
					return err
				}
				after = max(after, posts[i].ID)
				if err := writeEvent(w, strconv.FormatInt(after, 10), "post", strings.TrimSpace(buf.String())); err != nil {
					return err
				}
			}
			if len(posts) < 40 {
				return rc.Flush()
			}
		}
	}
	sendUnread := func() error {
		n, err := ui.Posts.UnreadNotifications(ctx, u)
		if err != nil {
			return err
		}
		label := ""
		if n > 0 {
			label = root.P.T("nav.unread", n)
		}
		if err := writeEvent(w, "", "unread", label); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := sendPosts(); err != nil {
		return nil // the connection is gone or the database is; the browser retries
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	// A tick catches up on posts held back by the commit horizon and keeps proxies
	// from closing an idle connection.
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-sub.Done():
			return nil
		case <-sub.Posts():
			// Let a burst of changes settle: one query for many posts.
			select {
			case <-time.After(250 * time.Millisecond):
			case <-ctx.Done():
				return nil
			}
			err = sendPosts()
		case <-sub.Unread():
			err = sendUnread()
		case <-tick.C:
			if err = sendPosts(); err == nil {
				_, err = w.Write([]byte(": ping\n\n"))
			}
		}
		if err != nil {
			ui.Log.Debug("live stream ended", "err", err)
			return nil
		}
	}
}
