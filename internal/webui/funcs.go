package webui

import (
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// funcs are the few helpers templates need; none builds HTML from user text except
// sanitized, whose input was sanitized by the one policy when the post was written.
var funcs = template.FuncMap{
	"sanitized": func(html string) template.HTML { return template.HTML(html) }, //nolint:gosec // sanitized at write time (richtext.Sanitize)
	"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"when":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
	"presenceActive": func(p ruche.Presence) bool {
		return p.Active(time.Now())
	},
	"ifelse": func(cond bool, a, b string) string {
		if cond {
			return a
		}
		return b
	},
	// path escapes one segment of an address: a partner's member's handle may hold
	// characters that would end the segment.
	"path":     url.PathEscape,
	"postView": func(root page, p ruche.Post) postView { return postView{Root: root, Post: p} },
	"act": func(root page, p ruche.Post, action, label string, count int) actView {
		return actView{Root: root, Post: p, Action: action, Label: label, Count: count}
	},
	"fileSize": fileSize,
	"pictureForm": func(root page, v *pictureFormView) pictureFormView {
		f := *v
		f.Root = root
		return f
	},
	// altSlots are the alt text fields of the compose box without its script: one per
	// file it may carry, with what was typed before.
	"altSlots": func(typed []string) []string {
		slots := make([]string, maxUploads)
		copy(slots, typed)
		return slots
	},
	"inc": func(i int) int { return i + 1 },
	// commas lists names (a group's partner instances) in a sentence.
	"commas": func(names []string) string { return strings.Join(names, ", ") },
}

// postView is one post with the page it is shown on (for the viewer, the CSRF token
// and the way back).
type postView struct {
	Root page
	Post ruche.Post
}

// actView is one button under a post.
type actView struct {
	Root   page
	Post   ruche.Post
	Action string
	Label  string
	Count  int
}
