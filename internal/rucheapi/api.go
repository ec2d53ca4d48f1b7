// Package rucheapi is Ruche's own JSON API, under /api/ruche/v1, for what the Mastodon
// client API has no words for (groups, to begin with). It is a front door like the web
// UI: it calls the same domain use cases, and every post it returns has been through
// the visibility gate. Requests authenticate with the session cookie plus the CSRF
// header (authn), and with bearer tokens once the client API exists.
package rucheapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// API serves /api/ruche/v1.
type API struct {
	Groups  *ruche.Groups
	Posts   *ruche.Posts
	Catalog *i18n.Catalog
	Log     *slog.Logger
}

// Routes mounts the API's routes on r (under /api/ruche/v1); they all need a member.
func (a *API) Routes(r chi.Router) {
	r.Get("/groups", a.h(a.listGroups))
	r.Post("/groups", a.h(a.createGroup))
	r.Get("/groups/{handle}", a.h(a.getGroup))
	r.Patch("/groups/{handle}", a.h(a.updateGroup))
	r.Post("/groups/{handle}/join", a.h(a.join))
	r.Post("/groups/{handle}/leave", a.h(a.leave))
	r.Post("/groups/{handle}/invite", a.h(a.invite))
	r.Get("/groups/{handle}/members", a.h(a.members))
	r.Post("/groups/{handle}/members/{username}/{action}", a.h(a.decide))
	r.Put("/groups/{handle}/members/{username}/role", a.h(a.setRole))
	r.Get("/groups/{handle}/posts", a.h(a.posts))
	r.Get("/groups/{handle}/shares", a.h(a.shares))
	r.Put("/groups/{handle}/shares/{domain}", a.h(a.share))
	r.Delete("/groups/{handle}/shares/{domain}", a.h(a.unshare))
}

type handler func(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error)

// h adapts a handler: its value is written as JSON, its error as {"error": "…"} with the
// status of its code, in the member's language; internal detail is logged, never sent.
func (a *API) h(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, _ := authn.UserFrom(r.Context())
		v, err := fn(w, r, *u)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			status, msg := a.failure(r, err)
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": msg})
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == "/api/ruche/v1/groups" {
			w.WriteHeader(http.StatusCreated)
		}
		json.NewEncoder(w).Encode(v)
	}
}

func (a *API) failure(r *http.Request, err error) (int, string) {
	p := i18n.FromContext(r.Context(), a.Catalog)
	var e *ruche.Error
	if !errors.As(err, &e) || e.Code == ruche.CodeInternal {
		a.Log.Error("api request failed", "method", r.Method, "err", err)
		return http.StatusInternalServerError, p.T("error.internal")
	}
	status := e.Code.HTTPStatus()
	return status, p.T(e.Key, e.Args...)
}

// decode reads a JSON body into v; a malformed body is a clear 422.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ruche.Errorf(ruche.CodeInvalid, "error.json_invalid")
	}
	return nil
}

// group is a group's JSON shape. Ids are strings, as in the Mastodon API: they do not
// fit a JavaScript number.
type group struct {
	ID           string `json:"id"`
	Handle       string `json:"handle"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Kind         string `json:"kind"`
	MembersCount int    `json:"members_count"`
	ViewerRole   string `json:"viewer_role"`
	ViewerState  string `json:"viewer_state"`
	CreatedAt    string `json:"created_at"`
	// SharedWith lists the partner instances whose people may read and write in the
	// group; [] when it stays on this instance.
	SharedWith []string `json:"shared_with"`
}

func groupJSON(g ruche.Group) group {
	shared := g.SharedWith
	if shared == nil {
		shared = []string{}
	}
	return group{ID: strconv.FormatInt(g.ID, 10), Handle: g.Handle, Name: g.Name, Description: g.Description, Kind: string(g.Kind),
		MembersCount: g.Members, ViewerRole: string(g.ViewerRole), ViewerState: string(g.ViewerState), CreatedAt: iso(g.CreatedAt),
		SharedWith: shared}
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// member is a person. Acct names them as Mastodon does, "zoe" here and "zoe@hub.example"
// on a partner instance, and is what the member addresses (…/members/{username}/…) take:
// the username alone may be a local member's too.
type member struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	State       string `json:"state"`
	Since       string `json:"since"`
}

type post struct {
	ID          string `json:"id"`
	Author      member `json:"account"`
	Content     string `json:"content"`
	SpoilerText string `json:"spoiler_text"`
	Visibility  string `json:"visibility"`
	Group       string `json:"group,omitempty"`
	InReplyToID string `json:"in_reply_to_id,omitempty"`
	CreatedAt   string `json:"created_at"`
}

func postJSON(p ruche.Post) post {
	out := post{ID: strconv.FormatInt(p.ID, 10), Content: p.HTML, SpoilerText: p.SpoilerText, Visibility: string(p.Visibility),
		CreatedAt: iso(p.CreatedAt), Author: memberJSON(p.Author)}
	if p.Group != nil {
		out.Group = p.Group.Handle
	}
	if p.InReplyToID != 0 {
		out.InReplyToID = strconv.FormatInt(p.InReplyToID, 10)
	}
	return out
}
