package richtext

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// allowedAttrs is what Render may emit: element -> allowed attributes. It is stricter
// than the policy (which also admits b, i and s from remote HTML).
var allowedAttrs = map[string]map[string]bool{
	"p": {}, "br": {}, "strong": {}, "em": {}, "del": {}, "code": {}, "pre": {},
	"blockquote": {}, "ul": {}, "li": {},
	"ol":   {"start": true},
	"a":    {"href": true, "rel": true, "class": true},
	"span": {"class": true, "translate": true},
}

var (
	allowedClasses = map[string]bool{"mention": true, "hashtag": true, "u-url": true, "h-card": true, "invisible": true, "ellipsis": true}
	allowedRels    = map[string]bool{"tag": true, "nofollow": true, "noopener": true, "noreferrer": true}
)

// sanitizeAttrs is what Sanitize may emit for remote HTML: Render's set plus the
// b, i and s that federated content uses.
var sanitizeAttrs = func() map[string]map[string]bool {
	m := map[string]map[string]bool{"b": {}, "i": {}, "s": {}}
	for k, v := range allowedAttrs {
		m[k] = v
	}
	return m
}()

// checkHTML parses s as a browser would (inside <body>) and lists everything in it
// that Render must never produce.
func checkHTML(s string) []string {
	return checkHTMLWith(s, allowedAttrs)
}

// checkHTMLWith is checkHTML with the given element -> attributes allowlist.
func checkHTMLWith(s string, allowed map[string]map[string]bool) []string {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
		case html.ElementNode:
			checkElement(n, allowed, bad)
		default:
			bad("unexpected node type %d (%q)", n.Type, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return problems
}

func checkElement(n *html.Node, allowed map[string]map[string]bool, bad func(string, ...any)) {
	attrs, ok := allowed[n.Data]
	if !ok || n.Namespace != "" {
		bad("element <%s> (namespace %q) not allowed", n.Data, n.Namespace)
	}
	var rel []string
	hasHref := false
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		if strings.HasPrefix(key, "on") {
			bad("event handler %s=%q on <%s>", a.Key, a.Val, n.Data)
		}
		if a.Namespace != "" || !attrs[key] {
			bad("attribute %s:%s=%q not allowed on <%s>", a.Namespace, a.Key, a.Val, n.Data)
			continue
		}
		switch key {
		case "class":
			for _, c := range strings.Fields(a.Val) {
				if !allowedClasses[c] {
					bad("class %q on <%s>", c, n.Data)
				}
			}
		case "href":
			hasHref = true
			v := strings.ToLower(strings.TrimSpace(a.Val))
			if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "mailto:") {
				bad("href %q: scheme not http, https or mailto", a.Val)
			}
		case "rel":
			rel = strings.Fields(a.Val)
			for _, r := range rel {
				if !allowedRels[r] {
					bad("rel %q on <%s>", r, n.Data)
				}
			}
		case "translate":
			if a.Val != "no" {
				bad("translate=%q", a.Val)
			}
		case "start":
			if strings.Trim(a.Val, "0123456789") != "" || a.Val == "" {
				bad("start=%q", a.Val)
			}
		}
	}
	if hasHref {
		for _, need := range []string{"nofollow", "noopener", "noreferrer"} {
			if !strings.Contains(" "+strings.Join(rel, " ")+" ", " "+need+" ") {
				bad("link without rel %s: %v", need, rel)
			}
		}
	}
}

// TestCheckHTMLCatchesProblems proves the checker can fail: each input breaks a rule.
func TestCheckHTMLCatchesProblems(t *testing.T) {
	badInputs := []string{
		`<img src=x onerror=1>`,
		`<p onclick="x()">t</p>`,
		`<p style="color:red">t</p>`,
		`<script>alert(1)</script>`,
		`<a href="javascript:alert(1)" rel="nofollow noopener noreferrer">x</a>`,
		`<a href=" JavaScript:alert(1)" rel="nofollow noopener noreferrer">x</a>`,
		`<a href="/relative" rel="nofollow noopener noreferrer">x</a>`,
		`<a href="https://x.example/">no rel</a>`,
		`<a href="https://x.example/" rel="nofollow noreferrer">no noopener</a>`,
		`<a href="https://x.example/" rel="nofollow noopener noreferrer opener">x</a>`,
		`<span class="h-card evil">x</span>`,
		`<span translate="yes">x</span>`,
		`<ol start="1;x"><li>x</li></ol>`,
		`<svg><a xlink:href="javascript:alert(1)">x</a></svg>`,
		`<math><mi>x</mi></math>`,
		`<!-- comment -->`,
		`<b>not emitted by Render</b>`,
	}
	for _, in := range badInputs {
		if problems := checkHTML(in); len(problems) == 0 {
			t.Errorf("checkHTML(%q) found no problem", in)
		}
	}
	good := `<p>a <strong>b</strong><br><a href="https://x.example/" class="mention hashtag" rel="tag nofollow noopener noreferrer">#<span>t</span></a>` +
		`<span class="h-card" translate="no"><a href="mailto:a@x.example" class="u-url mention" rel="nofollow noopener noreferrer">@<span>a</span></a></span></p>` +
		`<ol start="3"><li><em>x</em> <del>y</del> <code>z</code></li></ol><pre><code>k</code></pre><blockquote><ul><li>q</li></ul></blockquote>`
	if problems := checkHTML(good); len(problems) > 0 {
		t.Errorf("checkHTML(good) = %v, want none", problems)
	}
}

// xssCorpus holds well-known attack strings, as raw HTML and in Markdown syntax.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`<<script>alert(1)//<</script>`,
	`<img src=x onerror=alert(1)>`,
	`<IMG SRC="jav&#x0A;ascript:alert('XSS');">`,
	`<img src=x onerror=alert(1)//`,
	`<svg onload=alert(1)>`,
	`<svg><script>alert(1)</script></svg>`,
	`<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	`<body onload=alert(1)>`,
	`<input autofocus onfocus=alert(1)>`,
	`<details open ontoggle=alert(1)>`,
	`<video><source onerror=alert(1)></video>`,
	`<xss onpointerenter=alert(1)>hover</xss>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="  javascript:alert(1)">x</a>`,
	`<a href="JaVaScRiPt:alert(1)">x</a>`,
	`<a href="javascript&#58;alert(1)">x</a>`,
	`<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	"<a href=\"java\tscript:alert(1)\">x</a>",
	`<a href="data:text/html,<script>alert(1)</script>">x</a>`,
	`<a href="https://x.example/" onclick="alert(1)">x</a>`,
	`<a href="https://x.example/" style="color:red">x</a>`,
	`<a href=//evil.example>x</a>`,
	`<span class="h-card evil" onmouseover="alert(1)">x</span>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<p style="width: expression(alert(1))">x</p>`,
	`<style>@import 'https://evil.example/x.css';</style>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
	`<math href="javascript:alert(1)">click</math>`,
	`<form action="javascript:alert(1)"><button>go</button></form>`,
	`<base href="javascript:alert(1)//">`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<object data="javascript:alert(1)"></object>`,
	`<embed src="javascript:alert(1)">`,
	`<link rel=stylesheet href="https://evil.example/x.css">`,
	`<template><img src=x onerror=alert(1)></template>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<textarea><script>alert(1)</script></textarea>`,
	`<!--<img src=x onerror=alert(1)>-->`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	`</p><script>alert(1)</script><p>`,
	`<p><a href="https://x.example/"><p>nested</a>`,
	`[x](javascript:alert(1))`,
	`[x](JAVASCRIPT:alert(1))`,
	`[x](  javascript:alert(1) )`,
	`[x](javascript&#58;alert(1))`,
	`[x](&#x6A;avascript:alert(1))`,
	`[x](<javascript:alert(1)>)`,
	`[x](vbscript:msgbox(1))`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`[x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
	`[x](file:///etc/passwd)`,
	"[x](java\u0000script:alert(1))",
	"[x](\u200Bjavascript:alert(1))",
	"[x](javascript\uFF1Aalert(1))",
	`[x](https://x.example/"onmouseover="alert(1))`,
	`[x](https://x.example/ "t\" onmouseover=\"alert(1)")`,
	`[@ana](javascript:alert(1)) #go[x](javascript:alert(1))`,
	"[x][r]\n\n[r]: javascript:alert(1)",
	"[r]\n\n[r]: data:text/html,alert(1)",
	`<javascript:alert(1)>`,
	`<vbscript:msgbox(1)>`,
	`<data:text/html,<script>alert(1)</script>>`,
	`![x](javascript:alert(1))`,
	`![x](https://x.example/a.png" onerror="alert(1))`,
	`[![x](https://x.example/a.png)](javascript:alert(1))`,
	`https://x.example/"><script>alert(1)</script>`,
	`https://x.example/?q=<img src=x onerror=alert(1)>`,
	`**<img src=x onerror=alert(1)>**`,
	"`<script>alert(1)</script>`",
	"```html\n<script>alert(1)</script>\n```",
	"\u202e<a href=\"javascript:alert(1)\">gnp.exe</a>",
	`#<script>alert(1)</script> @<img/src/onerror=alert(1)>`,
}

// hostile Options check that URLs from the callbacks are filtered too.
var hostileOptions = Options{
	Mention: func(u string) (string, bool) { return `javascript:alert(1)//"><img src=x onerror=alert(1)>`, true },
	TagURL:  func(tag string) string { return `  javascript:alert("` + tag + `")` },
}

func TestRenderXSSCorpus(t *testing.T) {
	if len(xssCorpus) < 50 {
		t.Fatalf("corpus has %d payloads, want at least 50", len(xssCorpus))
	}
	contexts := []string{"%s", "> %s", "- %s", "@ana #go %s", "**%s**", "[%s](https://x.example/)"}
	for i, payload := range xssCorpus {
		for _, ctx := range contexts {
			src := fmt.Sprintf(ctx, payload)
			for _, o := range []Options{testOptions, hostileOptions} {
				out := Render(src, o).HTML
				if problems := checkHTML(out); len(problems) > 0 {
					t.Errorf("payload %d: Render(%q)\n= %q\nproblems: %v", i, src, out, problems)
				}
				if again := Sanitize(out); again != out {
					t.Errorf("payload %d: Render(%q) not stable under Sanitize:\n %q\n %q", i, src, out, again)
				}
			}
		}
	}
}

// TestSanitizeXSSCorpus sends the corpus straight to Sanitize, as remote HTML would
// arrive: Render shows raw HTML as text, so this is where the policy itself is tried.
func TestSanitizeXSSCorpus(t *testing.T) {
	for i, payload := range xssCorpus {
		for _, in := range []string{payload, "<p>" + payload + "</p>", `<a href="https://x.example/">` + payload + "</a>"} {
			out := Sanitize(in)
			if problems := checkHTMLWith(out, sanitizeAttrs); len(problems) > 0 {
				t.Errorf("payload %d: Sanitize(%q)\n= %q\nproblems: %v", i, in, out, problems)
			}
		}
	}
}
