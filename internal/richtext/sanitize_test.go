package richtext

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>Hello <strong>team</strong></p>`, `<p>Hello <strong>team</strong></p>`},
		{`<script>alert(1)</script>ok`, `ok`},
		{`<a href="javascript:alert(1)">x</a>`, `x`},
		{`<a href="https://example.com/">x</a>`, `<a href="https://example.com/" rel="nofollow noreferrer">x</a>`},
		{`<img src=x onerror=alert(1)>`, ``},
		{`<span class="h-card"><a href="https://h/@a" class="u-url mention">@a</a></span>`, `<span class="h-card"><a href="https://h/@a" class="u-url mention" rel="nofollow noreferrer">@a</a></span>`},
		{`<span class="evil">x</span>`, `<span>x</span>`},
		{`<p style="color:red" onclick="x()">t</p>`, `<p>t</p>`},
		{`<iframe src="https://evil"></iframe>`, ``},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if strings.Contains(strings.ToLower(Sanitize(tt.in)), "javascript:") {
			t.Errorf("javascript: survived in %q", tt.in)
		}
	}
}
