package mastoapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// params are a request's parameters, however the app sent them: query string, form
// (urlencoded or multipart) or JSON. Mastodon accepts all three, and apps use all
// three. JSON is flattened into form names: {"poll": {"options": ["a"]}} becomes
// poll[options][] = a, so handlers read one shape.
type params url.Values

// maxBody bounds a request body (media uploads come with their own limits).
const maxBody = 1 << 20

type paramsKey struct{}

// withParams reads the parameters of a request that may carry a body before its
// handler runs, so that a body that cannot be read is a 422 for every route, even
// those that take no parameters (nothing is done on a garbled request).
func withParams(r *http.Request) (*http.Request, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return r, nil
	}
	p, err := parseParams(r)
	if err != nil {
		return r, err
	}
	return r.WithContext(context.WithValue(r.Context(), paramsKey{}, p)), nil
}

// readParams returns r's parameters; a body that cannot be parsed is a 422.
func readParams(r *http.Request) (params, error) {
	if p, ok := r.Context().Value(paramsKey{}).(params); ok {
		return p, nil
	}
	return parseParams(r)
}

func parseParams(r *http.Request) (params, error) {
	out := url.Values{}
	for k, vs := range r.URL.Query() {
		out[k] = append(out[k], vs...)
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return params(out), nil // an empty body is no body, whatever its declared type
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var v any
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil && err != io.EOF {
			return nil, ruche.Errorf(ruche.CodeInvalid, "error.json_invalid")
		}
		if v != nil {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, ruche.Errorf(ruche.CodeInvalid, "error.json_invalid")
			}
			flatten(out, "", obj)
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		limit := int64(maxBody)
		if r.URL.Path == updateCredentialsPath {
			limit = maxPicturesBody // an avatar and a header, spooled to disk past maxBody
		}
		r.Body = http.MaxBytesReader(nil, r.Body, limit)
		var err error
		if ct == "multipart/form-data" {
			err = r.ParseMultipartForm(maxBody)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return nil, ruche.Errorf(ruche.CodeInvalid, "error.form_invalid")
		}
		for k, vs := range r.PostForm {
			out[k] = append(out[k], vs...)
		}
	case "":
	default:
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.form_invalid")
	}
	return params(out), nil
}

func flatten(out url.Values, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			name := k
			if prefix != "" {
				name = prefix + "[" + k + "]"
			}
			flatten(out, name, e)
		}
	case []any:
		for _, e := range x {
			flatten(out, prefix+"[]", e)
		}
	case nil:
		out[prefix] = append(out[prefix], "")
	case string:
		out.Add(prefix, x)
	case json.Number:
		out.Add(prefix, x.String())
	case bool:
		out.Add(prefix, strconv.FormatBool(x))
	default:
		out.Add(prefix, fmt.Sprint(x))
	}
}

// String returns a parameter's value ("" if absent).
func (p params) String(name string) string {
	if vs := p[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Has reports whether the parameter was sent.
func (p params) Has(name string) bool { _, ok := p[name]; return ok }

// List returns an array parameter, sent as name[] (or, leniently, as name).
func (p params) List(name string) []string {
	if vs := p[name+"[]"]; len(vs) > 0 {
		return vs
	}
	return p[name]
}

// Bool reads a boolean as Rails does: true, 1, on, yes.
func (p params) Bool(name string) bool {
	switch strings.ToLower(p.String(name)) {
	case "true", "1", "on", "yes", "t":
		return true
	}
	return false
}

// Int reads an integer parameter; absent gives def, malformed a 422.
func (p params) Int(name string, def int) (int, error) {
	s := p.String(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, ruche.Errorf(ruche.CodeInvalid, "error.number_invalid")
	}
	return n, nil
}

// ID reads an id parameter: absent is 0, malformed a 422.
func (p params) ID(name string) (int64, error) {
	s := p.String(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, ruche.Errorf(ruche.CodeInvalid, "error.id_invalid")
	}
	return n, nil
}
