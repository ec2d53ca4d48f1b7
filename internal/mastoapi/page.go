package mastoapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// page reads Mastodon's pagination parameters: max_id, since_id, min_id and limit
// (default 20, at most 40; notifications and some lists allow more, so max is given).
func page(p params, max int) (ruche.Page, error) {
	var pg ruche.Page
	var err error
	if pg.MaxID, err = p.ID("max_id"); err != nil {
		return pg, err
	}
	if pg.SinceID, err = p.ID("since_id"); err != nil {
		return pg, err
	}
	if pg.MinID, err = p.ID("min_id"); err != nil {
		return pg, err
	}
	if pg.Limit, err = p.Int("limit", 20); err != nil {
		return pg, err
	}
	if pg.Limit <= 0 {
		pg.Limit = 20
	}
	if pg.Limit > max {
		pg.Limit = max
	}
	return pg, nil
}

// pagedParams reads a request's parameters and the page they ask for.
func pagedParams(r *http.Request, max int) (params, ruche.Page, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, ruche.Page{}, err
	}
	pg, err := page(p, max)
	return p, pg, err
}

// link writes the Link header apps page with: rel="next" for older items (max_id =
// the oldest id on this page) and rel="prev" for newer ones (min_id = the newest).
// URLs are absolute, as apps follow them as given. Nothing is written for an empty page.
func (a *API) link(w http.ResponseWriter, r *http.Request, newest, oldest int64) {
	if newest == 0 && oldest == 0 {
		return
	}
	at := func(key string, v int64) string {
		q := url.Values{}
		for k, vs := range r.URL.Query() {
			switch k {
			case "max_id", "min_id", "since_id":
			default:
				q[k] = vs
			}
		}
		q.Set(key, strconv.FormatInt(v, 10))
		return a.BaseURL + r.URL.Path + "?" + q.Encode()
	}
	w.Header().Set("Link", "<"+at("max_id", oldest)+`>; rel="next", <`+at("min_id", newest)+`>; rel="prev"`)
}
