package main

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// xssPayloads are classic injection attempts, tried in every field a member controls.
var xssPayloads = []string{
	`<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `<svg onload=alert(1)>`, `<svg><script>alert(1)</script></svg>`,
	`<iframe src="javascript:alert(1)"></iframe>`, `<body onload=alert(1)>`, `<input onfocus=alert(1) autofocus>`,
	`<a href="javascript:alert(1)">x</a>`, `<a href="jav&#x09;ascript:alert(1)">x</a>`, `<a href=" javascript:alert(1)">x</a>`,
	`"><script>alert(1)</script>`, `'><script>alert(1)</script>`, `</textarea><script>alert(1)</script>`, `</title><script>alert(1)</script>`,
	`<details open ontoggle=alert(1)>`, `<video><source onerror=alert(1)>`, `<audio src=x onerror=alert(1)>`, `<marquee onstart=alert(1)>`,
	`<object data="javascript:alert(1)">`, `<embed src="javascript:alert(1)">`, `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<form action="javascript:alert(1)"><button>x</button></form>`, `<base href="javascript:alert(1)//">`, `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<link rel=stylesheet href="javascript:alert(1)">`, `<style>@import 'javascript:alert(1)';</style>`, `<div style="background:url(javascript:alert(1))">`,
	`<div style="width: expression(alert(1))">`, `<img src="x` + "`" + `onerror=alert(1)>`, `<img """><script>alert(1)</script>">`, `<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`<IMG SRC=JaVaScRiPt:alert(1)>`, `<img src=javascript:alert(&quot;x&quot;)>`, `<img src=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)>`,
	`<<script>alert(1);//<</script>`, `<script src=//evil.example/x.js></script>`, `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`, `[x](javascript:alert(1))`, `![x](javascript:alert(1))`, `[x]: javascript:alert(1)` + "\n\n[x]",
	`<table background="javascript:alert(1)">`, `<td background="javascript:alert(1)">`, `<div onmouseover="alert(1)">hover</div>`,
	`<isindex action=javascript:alert(1) type=image>`, `<keygen autofocus onfocus=alert(1)>`, `<select onfocus=alert(1) autofocus>`,
	`<textarea onfocus=alert(1) autofocus>`, `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, `<xmp><p title="</xmp><img src=x onerror=alert(1)>">`,
	`{{.}}{{template "x"}}`, `${alert(1)}`, `javascript:alert(1)`, `&lt;script&gt;alert(1)&lt;/script&gt;`, `<a href="https://ok.example" onclick="alert(1)">x</a>`,
	"\u202e<script>alert(1)</script>", `<svg/onload=alert(1)//`, `<img src=x:alert(alt) onerror=eval(src) alt=0>`,
}

// allowedElements are every element our own templates and the sanitizer policy emit.
var allowedElements = map[string]bool{}

func init() {
	for _, e := range strings.Fields(`html head meta title link script body a header nav ul ol li form input button main p section h1 h2
		label textarea details summary select option div fieldset legend article span strong em b i del s code pre blockquote br time
		footer table thead tbody tr th td dl dt dd`) {
		allowedElements[e] = true
	}
}

// checkPage parses a page and fails on anything an injection could have added.
func checkPage(t *testing.T, where, body string) {
	t.Helper()
	for _, p := range problems(body) {
		t.Errorf("%s: %s", where, p)
	}
}

// problems lists what in a page an injection could have added.
func problems(body string) []string {
	var out []string
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return []string{err.Error()}
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if !allowedElements[n.Data] {
				out = append(out, "element <"+n.Data+"> injected")
			}
			for _, a := range n.Attr {
				k, v := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(k, "on") || k == "style" || k == "background" || k == "formaction" || k == "srcdoc" {
					out = append(out, "attribute "+a.Key+" on <"+n.Data+">")
				}
				if (k == "href" || k == "src" || k == "action") && !(strings.HasPrefix(v, "/") || strings.HasPrefix(v, "http://") ||
					strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "mailto:") || strings.HasPrefix(v, "#") || strings.HasPrefix(v, "?")) {
					out = append(out, a.Key+"="+a.Val+" on <"+n.Data+">")
				}
			}
			if src := attr(n, "src"); n.Data == "script" && src != "/static/live.js" && src != "/static/media.js" {
				out = append(out, "a script other than ours")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// TestProblemsCatchesInjections proves the checker can fail.
func TestProblemsCatchesInjections(t *testing.T) {
	for _, bad := range []string{`<img src=x onerror=alert(1)>`, `<script>alert(1)</script>`, `<a href="javascript:x">x</a>`,
		`<p style="x">x</p>`, `<iframe src="https://x"></iframe>`, `<form action="javascript:x"></form>`} {
		if len(problems(bad)) == 0 {
			t.Errorf("problems(%q) found nothing", bad)
		}
	}
	if p := problems(`<p><a href="/x">ok</a> <script src="/static/live.js"></script></p>`); len(p) != 0 {
		t.Errorf("clean page reported: %v", p)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestInjectionIsNeutralized puts every payload in posts, display names, profile fields,
// presence and event fields, and checks every page that shows them.
func TestInjectionIsNeutralized(t *testing.T) {
	if len(xssPayloads) < 50 {
		t.Fatalf("only %d payloads", len(xssPayloads))
	}
	m, base := boot(t)
	eve := signedIn(t, m, base, "eve", "member")
	ana := signedIn(t, m, base, "ana", "member")
	cut := func(s string, n int) string {
		r := []rune(s)
		if len(r) > n {
			r = r[:n]
		}
		return string(r)
	}
	for i, x := range xssPayloads {
		p := eve.submit("/settings/profile", "/settings/profile", url.Values{"display_name": {cut(x, 100)}, "job_title": {cut(x, 100)},
			"department": {cut(x, 100)}, "location": {cut(x, 100)}, "bio": {x}})
		wantRedirect(t, p, "/settings/profile")
		wantRedirect(t, eve.submit("/settings/profile", "/settings/presence", url.Values{"emoji": {cut(x, 8)}, "text": {cut(x, 100)}, "back": {"/"}}), "/")
		p = eve.submit("/company", "/posts", url.Values{"source": {x + " @ana #tag"}, "spoiler_text": {cut(x, 500)}, "visibility": {"company"},
			"event_title": {cut(x, 200)}, "event_start": {"2030-01-02T10:00"}, "event_place": {cut(x, 200)}, "back": {"/company"}})
		wantRedirect(t, p, "/company")
		for _, path := range []string{"/company", "/@eve", "/people", "/events", "/notifications", "/settings/profile"} {
			b := ana
			if path == "/settings/profile" {
				b = eve
			}
			checkPage(t, path+" with payload "+string(rune('A'+i%26)), b.get(path).body)
		}
		if t.Failed() {
			t.Fatalf("payload %d: %q", i, x)
		}
	}
}
