package richtext

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// members are the local accounts the tests know about.
var members = map[string]bool{"ana": true, "bob_1": true, "zoe@hub.example": true, "zoe@127.0.0.1:8080": true}

var testOptions = Options{
	Mention: func(u string) (string, bool) {
		if !members[u] {
			return "", false
		}
		return "https://ruche.example/@" + u, true
	},
	TagURL: func(tag string) string { return "https://ruche.example/tags/" + url.PathEscape(tag) },
}

// Expected markup pieces, after Sanitize.
const rel = `rel="nofollow noopener noreferrer"`

func mentionHTML(u string) string {
	return `<span class="h-card" translate="no"><a href="https://ruche.example/@` + u +
		`" class="u-url mention" ` + rel + `>@<span>` + u + `</span></a></span>`
}

func tagHTML(path, display string) string {
	return `<a href="https://ruche.example/tags/` + path + `" class="mention hashtag" rel="tag nofollow noopener noreferrer">#<span>` +
		display + `</span></a>`
}

func TestRenderFormatting(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"bold italic", "**bold** and *it* and _it2_", `<p><strong>bold</strong> and <em>it</em> and <em>it2</em></p>`},
		{"code span", "`@ana #tag` here", `<p><code>@ana #tag</code> here</p>`},
		{"fenced code", "```go\nx := \"@ana #tag\"\n```", "<pre><code>x := &#34;@ana #tag&#34;\n</code></pre>"},
		{"indented code", "    @ana #tag", "<pre><code>@ana #tag\n</code></pre>"},
		{"list", "- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"},
		{"ordered list", "2. a\n3. b", "<ol start=\"2\">\n<li>a</li>\n<li>b</li>\n</ol>"},
		{"quote", "> quoted\n> more", "<blockquote>\n<p>quoted<br>\nmore</p>\n</blockquote>"},
		{"strikethrough", "~~gone~~", `<p><del>gone</del></p>`},
		{"single newline is a break", "line one\nline two", "<p>line one<br>\nline two</p>"},
		{"paragraphs", "a\n\nb", "<p>a</p>\n<p>b</p>"},
		{"autolinked URL", "see https://example.com/p?q=1&r=2.", `<p>see <a href="https://example.com/p?q=1&amp;r=2" ` + rel + `>https://example.com/p?q=1&amp;r=2</a>.</p>`},
		{"markdown link", `[site](https://example.com "T")`, `<p><a href="https://example.com" ` + rel + `>site</a></p>`},
		{"angle autolink", "<https://example.com>", `<p><a href="https://example.com" ` + rel + `>https://example.com</a></p>`},
		{"mailto", "[me](mailto:a@b.com)", `<p><a href="mailto:a@b.com" ` + rel + `>me</a></p>`},
		{"www and e-mail stay text", "www.example.com a@b.com", `<p>www.example.com a@b.com</p>`},
		{"heading is bold", "# Title\n\ntext", "<p><strong>Title</strong></p>\n<p>text</p>"},
		{"image is a link", "![cat](https://img.example/c.png)", `<p><a href="https://img.example/c.png" ` + rel + `>cat</a></p>`},
		{"raw HTML is text", "a <b>b</b>", `<p>a &lt;b&gt;b&lt;/b&gt;</p>`},
		{"HTML block is text", "<div>\nhi\n</div>", "<p>&lt;div&gt;<br>\nhi<br>\n&lt;/div&gt;</p>"},
		{"relative link dropped", "[x](/local) [y](//evil.example)", `<p>x y</p>`},
		{"thematic break dropped", "a\n\n***\n\nb", "<p>a</p>\n\n<p>b</p>"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.src, testOptions).HTML; got != tt.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestRenderMentionsAndTags(t *testing.T) {
	tests := []struct {
		name, src, want string
		mentions, tags  []string
	}{
		{"mention", "hi @ana!", `<p>hi ` + mentionHTML("ana") + `!</p>`, []string{"ana"}, nil},
		{"mention case-insensitive", "@Ana", `<p>` + mentionHTML("ana") + `</p>`, []string{"ana"}, nil},
		{"mention with underscore and digit", "(@bob_1)", `<p>(` + mentionHTML("bob_1") + `)</p>`, []string{"bob_1"}, nil},
		{"unknown mention plain", "hi @carol", `<p>hi @carol</p>`, nil, nil},
		{"e-mail is not a mention", "write ana@example.com", `<p>write ana@example.com</p>`, nil, nil},
		{"unknown remote handle not linked", "@ana@other.example", `<p>@ana@other.example</p>`, nil, nil},
		{"remote handle", "ask @Zoe@Hub.example.", `<p>ask ` + mentionHTML("zoe@hub.example") + `.</p>`, []string{"zoe@hub.example"}, nil},
		{"remote handle with port", "(@zoe@127.0.0.1:8080)", `<p>(` + mentionHTML("zoe@127.0.0.1:8080") + `)</p>`, []string{"zoe@127.0.0.1:8080"}, nil},
		{"remote handle then a word", "@zoe@hub.examples", `<p>@zoe@hub.examples</p>`, nil, nil},
		{"remote handle, hyphen ends it", "@zoe@hub.example-", `<p>` + mentionHTML("zoe@hub.example") + `-</p>`, []string{"zoe@hub.example"}, nil},
		{"no host", "@zoe@ hi", `<p>@zoe@ hi</p>`, nil, nil},
		{"longer word is not a mention", "@anabel @ana_x", `<p>@anabel @ana_x</p>`, nil, nil},
		{"path is not a mention", "x.example/@ana", `<p>x.example/@ana</p>`, nil, nil},
		{"escaped is not a mention", `\@ana`, `<p>@ana</p>`, nil, nil},
		{"mention in link text not relinked", "[@ana](https://x.example/)", `<p><a href="https://x.example/" ` + rel + `>@ana</a></p>`, nil, nil},
		{"mention in URL not linked", "https://x.example/@ana", `<p><a href="https://x.example/@ana" ` + rel + `>https://x.example/@ana</a></p>`, nil, nil},
		{"mention in code not linked", "`@ana`", `<p><code>@ana</code></p>`, nil, nil},
		{"mention in emphasis", "**@ana**", `<p><strong>` + mentionHTML("ana") + `</strong></p>`, []string{"ana"}, nil},
		{"mention after line break", "x\n@ana", "<p>x<br>\n" + mentionHTML("ana") + `</p>`, []string{"ana"}, nil},
		{"tag", "#go", `<p>` + tagHTML("go", "go") + `</p>`, nil, []string{"go"}},
		{"tag keeps case, links normalized", "#GoLang", `<p>` + tagHTML("golang", "GoLang") + `</p>`, nil, []string{"golang"}},
		{"unicode tag", "#Café au lait", `<p>` + tagHTML("caf%C3%A9", "Café") + ` au lait</p>`, nil, []string{"café"}},
		{"decomposed is the same tag", "#cafe\u0301 #CAFÉ", `<p>` + tagHTML("caf%C3%A9", "cafe\u0301") + ` ` + tagHTML("caf%C3%A9", "CAFÉ") + `</p>`, nil, []string{"café"}},
		{"tag with underscore", "#foo_bar", `<p>` + tagHTML("foo_bar", "foo_bar") + `</p>`, nil, []string{"foo_bar"}},
		{"tag in emphasis", "_#tag_", `<p><em>` + tagHTML("tag", "tag") + `</em></p>`, nil, []string{"tag"}},
		{"digits only is not a tag", "#123 #2024x", `<p>#123 ` + tagHTML("2024x", "2024x") + `</p>`, nil, []string{"2024x"}},
		{"URL fragment not a tag", "https://x.example/#frag", `<p><a href="https://x.example/#frag" ` + rel + `>https://x.example/#frag</a></p>`, nil, nil},
		{"unlinked fragment not a tag", "x.example/#frag page#2 (a)#b", `<p>x.example/#frag page#2 (a)#b</p>`, nil, nil},
		{"entity is not a tag", "&#35;x &#x23;abc", `<p>#x #abc</p>`, nil, nil},
		{"tag in link text not linked", "[#go](https://go.dev/)", `<p><a href="https://go.dev/" ` + rel + `>#go</a></p>`, nil, nil},
		{"tag in code block not linked", "```\n#go @ana\n```", "<pre><code>#go @ana\n</code></pre>", nil, nil},
		{"heading marker is not a tag", "# go", `<p><strong>go</strong></p>`, nil, nil},
		{"too long tag", "#" + strings.Repeat("a", 101), `<p>#` + strings.Repeat("a", 101) + `</p>`, nil, nil},
		{"longest tag", "#" + strings.Repeat("é", 100), `<p>` + tagHTML(strings.Repeat("%C3%A9", 100), strings.Repeat("é", 100)) + `</p>`, nil, []string{strings.Repeat("é", 100)}},
		{"deduplicated in order", "@bob_1 #B @ana #a @Bob_1 #b @carol #A", `<p>` + mentionHTML("bob_1") + ` ` + tagHTML("b", "B") + ` ` + mentionHTML("ana") + ` ` + tagHTML("a", "a") + ` ` +
			mentionHTML("bob_1") + ` ` + tagHTML("b", "b") + ` @carol ` + tagHTML("a", "A") + `</p>`, []string{"bob_1", "ana"}, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Render(tt.src, testOptions)
			if r.HTML != tt.want {
				t.Errorf("Render(%q).HTML\n got %q\nwant %q", tt.src, r.HTML, tt.want)
			}
			if !slices.Equal(r.Mentions, tt.mentions) {
				t.Errorf("Render(%q).Mentions = %q, want %q", tt.src, r.Mentions, tt.mentions)
			}
			if !slices.Equal(r.Tags, tt.tags) {
				t.Errorf("Render(%q).Tags = %q, want %q", tt.src, r.Tags, tt.tags)
			}
		})
	}
}

func TestRenderAsksOncePerUsername(t *testing.T) {
	calls := map[string]int{}
	o := testOptions
	o.Mention = func(u string) (string, bool) {
		calls[u]++
		return testOptions.Mention(u)
	}
	Render("@ana @Ana @carol @CAROL @ana", o)
	if want := map[string]int{"ana": 1, "carol": 1}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("Mention calls = %v, want %v", calls, want)
	}
}

func TestRenderNilFuncs(t *testing.T) {
	r := Render("@ana #go", Options{})
	if want := `<p>@ana #go</p>`; r.HTML != want || r.Mentions != nil || r.Tags != nil {
		t.Errorf("Render with nil funcs = %+v, want HTML %q and no refs", r, want)
	}
}

func TestNormalizeTag(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Go", "go"},
		{"Café", "café"},
		{"CAFE\u0301", "café"},
		{"ÄÖÜ", "äöü"},
		{"日本語", "日本語"},
		{"ΣΊΣΥΦΟΣ", "σίσυφοσ"},
	}
	for _, tt := range tests {
		if got := NormalizeTag(tt.in); got != tt.want {
			t.Errorf("NormalizeTag(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs", "<p>a</p>\n<p>b</p>", "a\n\nb"},
		{"line breaks", "<p>one<br>\ntwo<br/>three</p>", "one\ntwo\nthree"},
		{"entities decoded", "<p>a &amp; b &lt;c&gt; &#34;d&#34;</p>", `a & b <c> "d"`},
		{"whitespace collapses", "<p>  a \n\t b  </p>", "a b"},
		{"inline elements", `<p><strong>x</strong> <em>y</em>z</p>`, "x yz"},
		{"mention and tag", `<p>` + mentionHTML("ana") + ` ` + tagHTML("go", "Go") + `</p>`, "@ana #Go"},
		{"list", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<p>c</p>", "a\nb\n\nc"},
		{"quote", "<p>x</p><blockquote><p>q</p></blockquote><p>y</p>", "x\n\nq\n\ny"},
		{"pre keeps newlines", "<p>x</p><pre><code>a\n  b\n</code></pre><p>y</p>", "x\n\na\n  b\n\ny"},
		{"shortened link", `<p><a href="https://x.example/long"><span class="invisible">https://</span><span class="ellipsis">x.example/lo</span><span class="invisible">ng</span></a></p>`, "https://x.example/long"},
		{"script text dropped", "<p>a</p><script>alert(1)</script><p>b</p>", "a\n\nb"},
		{"empty", "", ""},
		{"rendered post", Render("Hi @ana,\nsee #Go\n\n- one\n- two", testOptions).HTML, "Hi @ana,\nsee #Go\n\none\ntwo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in); got != tt.want {
				t.Errorf("PlainText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRenderLargeInputs feeds 5,000-character inputs built to stress the parser
// (deep nesting, many delimiters, many candidates); each must stay fast and safe.
func TestRenderLargeInputs(t *testing.T) {
	const n = 5000
	inputs := map[string]string{
		"tags":       strings.Repeat("#a ", n/3),
		"hashes":     strings.Repeat("#", n),
		"ats":        strings.Repeat("@", n),
		"mentions":   strings.Repeat("@ana ", n/5),
		"long tag":   "#" + strings.Repeat("a", n),
		"quotes":     strings.Repeat(">", n),
		"lists":      strings.Repeat("- ", n/2),
		"brackets":   strings.Repeat("[", n/2) + strings.Repeat("]", n/2),
		"links":      strings.Repeat("[x](", n/4),
		"emphasis":   strings.Repeat("*a", n/2),
		"underscore": strings.Repeat("_a", n/2),
		"backticks":  strings.Repeat("`a", n/2),
		"tildes":     strings.Repeat("~~a", n/3),
		"html":       strings.Repeat("<a ", n/3),
		"entities":   strings.Repeat("&#35;", n/5),
		"urls":       strings.Repeat("https://x.example/#a ", n/21),
		"newlines":   strings.Repeat("a\n", n/2),
	}
	for name, src := range inputs {
		start := time.Now()
		r := Render(src, testOptions)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Render(%s) took %v", name, d)
		}
		if problems := checkHTML(r.HTML); len(problems) > 0 {
			t.Errorf("Render(%s): %v", name, problems)
		}
	}
}

// benchPost is a realistic post of about 1,000 characters.
var benchPost = `Good morning @ana and @bob_1! The **spring meetup** is confirmed for Saturday, 10:00 at the community garden. ` +
	"Bring gloves, seeds you want to swap, and something to share for lunch.\n" +
	`Details and the map are at https://garden.example/events/spring-meetup?ref=ruche — please add yourself to the list there so we know how many chairs to set up. ` +
	"If you cannot come, reply here and @carol will keep you posted.\n\n" +
	"Things we still need:\n- a second wheelbarrow\n- *lots* of compost\n- someone who knows about `drip irrigation`\n\n" +
	"> Last year we planted 40 trees, this year let's beat that.\n\n" +
	"Tags for the search: #Gardening #CommunityGarden #Frühling #spring2025 #Seeds and of course #ruche. " +
	"Photos from last time: [album](https://photos.example/albums/2024-garden). " +
	"Questions? Ask @ana, or write to garden@example.org. See you there! ~~No rain~~ Light rain expected, bring a coat."

func BenchmarkRender(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPost)))
	for b.Loop() {
		Render(benchPost, testOptions)
	}
}
