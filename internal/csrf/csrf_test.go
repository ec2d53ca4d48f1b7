package csrf

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestMiddleware(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(Token(r.Context()))) })
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	h := Middleware(false, deny)(ok)

	// A first GET hands out the token in a cookie and to the page.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/form", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Value != rec.Body.String() || !cookies[0].HttpOnly {
		t.Fatalf("cookie %v, page token %q", cookies, rec.Body.String())
	}
	token := cookies[0].Value

	post := func(formToken string, header map[string]string) int {
		r := httptest.NewRequest("POST", "/form", strings.NewReader(url.Values{FieldName: {formToken}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: "ruche_csrf", Value: token})
		for k, v := range header {
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	tests := []struct {
		name   string
		token  string
		header map[string]string
		want   int
	}{
		{"right token", token, nil, 200},
		{"no token", "", nil, 403},
		{"wrong token", strings.Repeat("A", 43), nil, 403},
		{"right token, but another site's request", token, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"right token, same origin", token, map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
	}
	for _, tt := range tests {
		if got := post(tt.token, tt.header); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
}
