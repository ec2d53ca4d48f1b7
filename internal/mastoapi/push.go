package mastoapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Web Push: a phone's app registers, per access token, where its push service
// listens and which alerts it wants (POST /api/v1/push/subscription); the job queue
// then sends each notification encrypted to it (internal/webpush, internal/jobs).

func (a *API) pushRoutes() []Route {
	return []Route{
		{Method: "POST", Pattern: "/api/v1/push/subscription", Handler: a.h(a.subscribe), Scope: "push"},
		{Method: "GET", Pattern: "/api/v1/push/subscription", Handler: a.h(a.subscription), Scope: "push"},
		{Method: "PUT", Pattern: "/api/v1/push/subscription", Handler: a.h(a.updateSubscription), Scope: "push"},
		{Method: "DELETE", Pattern: "/api/v1/push/subscription", Handler: a.h(a.unsubscribe), Scope: "push"},
	}
}

// WebPushSubscription is Mastodon's entity.
type WebPushSubscription struct {
	ID        string           `json:"id"`
	Endpoint  string           `json:"endpoint"`
	Standard  bool             `json:"standard"`
	Alerts    ruche.PushAlerts `json:"alerts"`
	Policy    string           `json:"policy"`
	ServerKey string           `json:"server_key"`
}

func (a *API) pushSubscription(r *http.Request, s ruche.PushSubscription) (WebPushSubscription, error) {
	key, err := a.Push.VAPIDPublicKey(r.Context())
	if err != nil {
		return WebPushSubscription{}, err
	}
	policy := string(s.Policy)
	if policy == "" {
		policy = string(ruche.PolicyAll)
	}
	return WebPushSubscription{ID: idString(s.ID), Endpoint: s.Endpoint, Standard: true, Alerts: s.Alerts, Policy: policy, ServerKey: key}, nil
}

// tokenID is the access token a subscription belongs to: one per token, as Mastodon.
func (a *API) tokenID(r *http.Request) (int64, error) {
	g, ok := authn.GrantFrom(r.Context())
	if !ok || a.Push == nil {
		return 0, ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	return g.TokenID, nil
}

// alerts reads data[alerts][…] and data[policy]; absent alerts are off.
func alerts(p params) (ruche.PushAlerts, ruche.PushPolicy) {
	var as ruche.PushAlerts
	for _, name := range ruche.PushAlertNames {
		as.Set(name, p.Bool("data[alerts]["+string(name)+"]"))
	}
	return as, ruche.PushPolicy(p.String("data[policy]"))
}

func (a *API) subscribe(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	tok, err := a.tokenID(r)
	if err != nil {
		return nil, err
	}
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	as, policy := alerts(p)
	s, err := a.Push.Subscribe(r.Context(), u, tok, ruche.PushSubscription{
		Endpoint: p.String("subscription[endpoint]"), P256dh: p.String("subscription[keys][p256dh]"),
		Auth: p.String("subscription[keys][auth]"), Alerts: as, Policy: policy,
	})
	if err != nil {
		return nil, err
	}
	return a.pushSubscription(r, s)
}

func (a *API) subscription(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	tok, err := a.tokenID(r)
	if err != nil {
		return nil, err
	}
	s, err := a.Push.Subscription(r.Context(), u, tok)
	if err != nil {
		return nil, noSubscription(err)
	}
	return a.pushSubscription(r, s)
}

func (a *API) updateSubscription(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	tok, err := a.tokenID(r)
	if err != nil {
		return nil, err
	}
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	cur, err := a.Push.Subscription(r.Context(), u, tok)
	if err != nil {
		return nil, noSubscription(err)
	}
	as, policy := alerts(p)
	// Alerts not sent keep their value, as in Mastodon.
	for _, name := range ruche.PushAlertNames {
		if !p.Has("data[alerts][" + string(name) + "]") {
			as.Set(name, cur.Alerts.Has(name))
		}
	}
	if policy == "" {
		policy = cur.Policy
	}
	s, err := a.Push.UpdateAlerts(r.Context(), u, tok, as, policy)
	if err != nil {
		return nil, noSubscription(err)
	}
	return a.pushSubscription(r, s)
}

func (a *API) unsubscribe(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	tok, err := a.tokenID(r)
	if err != nil {
		return nil, err
	}
	if err := a.Push.Unsubscribe(r.Context(), u, tok); err != nil && !errors.Is(err, ruche.ErrNotFound) {
		return nil, err
	}
	return json.RawMessage("{}"), nil
}

func noSubscription(err error) error {
	if errors.Is(err, ruche.ErrNotFound) {
		return ruche.Errorf(ruche.CodeNotFound, "error.push_no_subscription")
	}
	return err
}
