// Package federation is the ActivityPub front door: what partner instances read and
// post, signed. Authentication (the signature, the partner check) happens before any
// of these handlers runs (authn.Signed); the handlers ask the domain, whose gate
// (ruche.Federation.Reveal) decides what a partner may read. Anything not federated is
// "not found" to every partner alike.
package federation

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/fileserve"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// API serves the federation routes.
type API struct {
	Fed     *ruche.Federation
	Catalog *i18n.Catalog
	Log     *slog.Logger
}

// Route is one federation address. PublicReason is set on the routes that answer
// without a partner's signature, and says why.
type Route struct {
	Method, Pattern string
	Handler         http.Handler
	PublicReason    string
}

// Routes lists the federation routes.
func (a *API) Routes() []Route {
	return []Route{
		{"GET", activitypub.WebFingerPath, http.HandlerFunc(a.webfinger), "discovery: finds the instance actor for anyone; nothing else unless federated with the signed asker"},
		{"GET", "/actor", http.HandlerFunc(a.instanceActor), "the instance actor's key, which partners need to check Ruche's own signatures; no personal data"},
		{"GET", "/actor/outbox", http.HandlerFunc(a.outbox), ""},
		{"POST", "/actor/inbox", http.HandlerFunc(a.inbox), ""},
		{"POST", "/inbox", http.HandlerFunc(a.inbox), ""},
		{"GET", "/ap/groups/{id}", a.byID(a.Fed.GroupDocument), ""},
		{"GET", "/ap/groups/{id}/members", a.byID(a.Fed.GroupMembers), ""},
		{"POST", "/ap/groups/{id}/inbox", a.inboxOf(a.Fed.GroupIRI), ""},
		{"GET", "/ap/users/{id}", a.byID(a.Fed.UserDocument), ""},
		{"POST", "/ap/users/{id}/inbox", a.inboxOf(a.Fed.UserIRI), ""},
		{"GET", "/ap/posts/{id}", a.byID(a.Fed.PostDocument), ""},
		{"GET", "/ap/media/{id}", http.HandlerFunc(a.media), ""},
	}
}

// media serves a file of a shared group's post to a partner the gate lets see it,
// with the same care as for members: its cleaned type, never sniffed, never run.
func (a *API) media(w http.ResponseWriter, r *http.Request) {
	peer, id, ok := a.peerAndID(w, r)
	if !ok {
		return
	}
	f, err := a.Fed.MediaFile(r.Context(), peer, id)
	if err != nil {
		a.Error(w, r, err)
		return
	}
	defer f.Close()
	fileserve.Send(w, r, f, fileserve.Options{Download: true})
}

// byID serves the document that doc makes for the {id} of the path.
func (a *API) byID(doc func(context.Context, ruche.Peer, int64) (*activitypub.Object, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, id, ok := a.peerAndID(w, r)
		if !ok {
			return
		}
		o, err := doc(r.Context(), peer, id)
		if err != nil {
			a.Error(w, r, err)
			return
		}
		writeObject(w, o)
	})
}

// inboxOf is the inbox of the actor iri(id) names: a partner may post to it only if it
// may see that actor.
func (a *API) inboxOf(iri func(int64) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, id, ok := a.peerAndID(w, r)
		if !ok {
			return
		}
		if err := a.Fed.Reveal(r.Context(), peer, iri(id)); err != nil {
			a.Error(w, r, err)
			return
		}
		a.inbox(w, r)
	})
}

// peerAndID returns the request's partner and the {id} of its path, or answers not
// found when the id is not one.
func (a *API) peerAndID(w http.ResponseWriter, r *http.Request) (ruche.Peer, int64, bool) {
	peer, _ := authn.PeerFrom(r.Context())
	id, ok := pathID(r)
	if !ok || peer == nil {
		a.Error(w, r, ruche.ErrNotFound)
		return ruche.Peer{}, 0, false
	}
	return *peer, id, true
}

func pathID(r *http.Request) (int64, bool) {
	s := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == s
}

// Exempt reports whether a request is for the one document served whatever its
// signature: the instance actor's.
func Exempt(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/actor"
}

func (a *API) instanceActor(w http.ResponseWriter, r *http.Request) {
	o, err := a.Fed.InstanceActor(r.Context())
	if err != nil {
		a.Error(w, r, err)
		return
	}
	writeObject(w, o)
}

func (a *API) webfinger(w http.ResponseWriter, r *http.Request) {
	peer, _ := authn.PeerFrom(r.Context())
	j, err := a.Fed.WebFinger(r.Context(), peer, r.URL.Query().Get("resource"))
	if err != nil {
		a.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", activitypub.JRDContentType)
	// Only the instance actor's entry is the same for everyone; a group's depends on who
	// signed the request, and no shared cache may keep it.
	if peer == nil {
		w.Header().Set("Cache-Control", "max-age=3600")
	} else {
		w.Header().Set("Cache-Control", "private, no-store")
	}
	json.NewEncoder(w).Encode(j)
}

func (a *API) outbox(w http.ResponseWriter, r *http.Request) {
	peer, _ := authn.PeerFrom(r.Context())
	q := r.URL.Query()
	var maxID int64
	if s := q.Get("max_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			a.Error(w, r, ruche.Errorf(ruche.CodeInvalid, "error.api_param_invalid", "max_id"))
			return
		}
		maxID = n
	}
	o, err := a.Fed.InstanceOutbox(r.Context(), *peer, q.Get("page") == "true", maxID)
	if err != nil {
		a.Error(w, r, err)
		return
	}
	writeObject(w, o)
}

// inbox takes an activity into the queue and answers 202 once it is stored: it is
// processed in the background, once whatever the number of deliveries.
func (a *API) inbox(w http.ResponseWriter, r *http.Request) {
	peer, _ := authn.PeerFrom(r.Context())
	body, err := io.ReadAll(io.LimitReader(r.Body, activitypub.MaxDocumentSize+1))
	if err != nil || len(body) > activitypub.MaxDocumentSize {
		a.Error(w, r, ruche.Errorf(ruche.CodeInvalid, "error.activity_too_large"))
		return
	}
	if err := a.Fed.Receive(r.Context(), *peer, body); err != nil {
		a.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func writeObject(w http.ResponseWriter, o *activitypub.Object) {
	b, err := activitypub.Marshal(o)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", activitypub.ContentType+"; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// Error answers a failure as JSON, {"error": "…"}, with the status its code calls for.
// Internal errors are logged and not shown.
func (a *API) Error(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	key := "error.internal"
	var args []any
	var e *ruche.Error
	if errors.As(err, &e) {
		key, args = e.Key, e.Args
		switch e.Code {
		case ruche.CodeInvalid:
			status = http.StatusBadRequest
		case ruche.CodeNotFound:
			status = http.StatusNotFound
		case ruche.CodeConflict:
			status = http.StatusConflict
		case ruche.CodeUnauthenticated:
			status = http.StatusUnauthorized
		case ruche.CodeForbidden:
			status = http.StatusForbidden
		case ruche.CodeRateLimited:
			status = http.StatusTooManyRequests
		case ruche.CodeUnavailable:
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "60")
		default:
			key, args = "error.internal", nil
		}
	}
	if status == http.StatusInternalServerError || status == http.StatusServiceUnavailable {
		a.Log.Error("federation", "path", r.URL.Path, "err", err)
	} else if e != nil && e.Err != nil {
		a.Log.Info("federation: refused", "path", r.URL.Path, "status", status, "err", err)
	}
	p := i18n.FromContext(r.Context(), a.Catalog)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": p.T(key, args...)})
}
