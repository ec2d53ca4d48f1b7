// Package webui is the web front door: server-rendered pages (html/template) that work
// without JavaScript. Handlers return errors; one adapter (fail) turns them into pages.
// It gets the viewer from authn and every string from the message catalogue.
package webui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/csrf"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/live"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Options are what the UI needs.
type Options struct {
	Accounts *ruche.Accounts
	Posts    *ruche.Posts
	Groups   *ruche.Groups
	OAuth    *ruche.OAuth
	Hub      *live.Hub // live streams of this node
	Catalog  *i18n.Catalog
	Files    fs.FS // web.FS: templates/*.html
	Secure   bool  // https: cookies get Secure and the __Host- prefix
	BaseURL  string
	Log      *slog.Logger

	// Federation manages partner instances; without it the partners page is not found.
	Federation *ruche.Federation
	// Media takes uploads and signs the URLs of attachments; nil: no uploads.
	Media *ruche.Media
}

// UI serves the web pages.
type UI struct {
	Options
	pages map[string]*template.Template
}

// pageNames are the templates that are whole pages (each is parsed with the layout).
var pageNames = []string{"login", "setup", "join", "settings", "admin", "admin_partners", "error",
	"stream", "compose", "thread", "history", "edit", "people", "notifications", "profile_edit", "groups", "group",
	"oauth_authorize", "oauth_code", "settings_apps", "settings_development"}

// New parses the templates once.
func New(o Options) (*UI, error) {
	ui := &UI{Options: o, pages: map[string]*template.Template{}}
	fm := maps.Clone(funcs)
	fm["attachments"] = ui.attachments
	fm["picture"] = ui.pictureURL
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(fm).ParseFS(o.Files, "templates/layout.html", "templates/account_form.html",
			"templates/post.html", "templates/pictures.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		ui.pages[name] = t
	}
	return ui, nil
}

// page is what every template receives.
type page struct {
	P      i18n.Printer
	User   *ruche.User
	CSRF   string
	Title  string // catalogue key
	Flash  string
	Error  string
	Data   any
	Path   string // the page's own address, where buttons come back to
	Unread int    // unread notifications, for the header
	// Uploads: the compose box takes files (the server has media storage).
	Uploads bool
}

// pageFor builds what every template receives for request r.
func (ui *UI) pageFor(r *http.Request, title string, data any, errMsg string) page {
	p := page{
		P:     i18n.FromContext(r.Context(), ui.Catalog),
		CSRF:  csrf.Token(r.Context()),
		Title: title,
		Data:  data,
		Error: errMsg,
		Path:  r.URL.RequestURI(),

		Uploads: ui.Media != nil,
	}
	p.User, _ = authn.UserFrom(r.Context())
	if done := r.URL.Query().Get("done"); done != "" && ui.Catalog.HasKey("flash."+done) {
		p.Flash = p.P.T("flash." + done)
	}
	if p.User != nil && ui.Posts != nil {
		if n, err := ui.Posts.UnreadNotifications(r.Context(), *p.User); err == nil {
			p.Unread = n
		}
	}
	return p
}

// render writes a whole page with status.
func (ui *UI) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, errMsg string) {
	p := ui.pageFor(r, title, data, errMsg)
	var buf bytes.Buffer
	if err := ui.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		ui.Log.Error("render", "page", name, "err", err)
		http.Error(w, p.P.T("error.internal"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// handler is a page handler that may fail.
type handler func(w http.ResponseWriter, r *http.Request) error

// H adapts a page handler: an error becomes an error page whose message is safe to
// show; internal detail is logged, never sent.
func (ui *UI) H(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			ui.fail(w, r, err)
		}
	}
}

// message returns the catalogue text of err, or the generic one for internal errors.
func (ui *UI) message(r *http.Request, err error) string {
	p := i18n.FromContext(r.Context(), ui.Catalog)
	var e *ruche.Error
	if errors.As(err, &e) && e.Code != ruche.CodeInternal {
		return p.T(e.Key, e.Args...)
	}
	ui.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return p.T("error.internal")
}

func (ui *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	msg := ui.message(r, err)
	code := ruche.ErrorCode(err).HTTPStatus()
	ui.render(w, r, code, "error", titleFor(code), nil, msg)
}

func titleFor(status int) string {
	switch status {
	case http.StatusNotFound:
		return "error.title_not_found"
	case http.StatusForbidden:
		return "error.title_forbidden"
	}
	return "error.title"
}

// NotFound is the page for unknown addresses.
func (ui *UI) NotFound(w http.ResponseWriter, r *http.Request) {
	ui.fail(w, r, ruche.Errorf(ruche.CodeNotFound, "error.page_not_found"))
}

// Forbidden is the page for a form that failed its CSRF check.
func (ui *UI) Forbidden(w http.ResponseWriter, r *http.Request) {
	ui.fail(w, r, ruche.Errorf(ruche.CodeForbidden, "error.csrf"))
}

// viewer returns the signed-in user; routes behind authn.Require always have one.
func viewer(r *http.Request) *ruche.User {
	u, ok := authn.UserFrom(r.Context())
	if !ok {
		panic("webui: private handler reached without a user")
	}
	return u
}
