package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// formFile is a file sent in a multipart form's "media" field.
type formFile struct {
	name, ctype string
	body        []byte
}

// submitFiles GETs formPage, then POSTs fields and files to action as
// multipart/form-data, in the order of the compose box: the fields, the files, then
// their descriptions (fields["media_description"]). Without the script, a browser
// sends the CSRF token in the form; the script (viaScript) sends it as a header, and
// the server then reads the body as a stream.
func (b *browser) submitFiles(formPage, action string, fields url.Values, files []formFile, viaScript bool) page {
	b.t.Helper()
	parts := make([]pictureFile, len(files))
	for i, f := range files {
		parts[i] = pictureFile{"media", f}
	}
	return b.submitParts(formPage, action, fields, parts, viaScript)
}

// submitParts is submitFiles with each file in its own form field.
func (b *browser) submitParts(formPage, action string, fields url.Values, files []pictureFile, viaScript bool) page {
	b.t.Helper()
	m := csrfRE.FindStringSubmatch(b.get(formPage).body)
	if m == nil {
		b.t.Fatalf("GET %s: no csrf_token in the page", formPage)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if !viaScript {
		w.WriteField("csrf_token", m[1])
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range fields[k] {
			if k != "media_description" {
				w.WriteField(k, v)
			}
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.field, f.name))
		h.Set("Content-Type", f.ctype)
		part, err := w.CreatePart(h)
		if err != nil {
			b.t.Fatal(err)
		}
		part.Write(f.body)
	}
	for _, d := range fields["media_description"] {
		w.WriteField("media_description", d)
	}
	if err := w.Close(); err != nil {
		b.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", b.base+action, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	if viaScript {
		req.Header.Set("X-CSRF-Token", m[1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("POST %s: %v", action, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(raw), header: resp.Header}
}

// bigPNG is a photo large enough to get a thumbnail smaller than itself.
func bigPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1200, 800))
	for y := range 800 {
		for x := range 1200 {
			img.Set(x, y, color.RGBA{uint8(x / 150 * 30), uint8(y / 100 * 30), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlsx is the smallest spreadsheet the server recognizes as one.
func xlsx(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`},
		{"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>`},
	} {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, e[1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// message is a text of the English catalogue.
func message(t *testing.T, key string) string {
	t.Helper()
	b, err := os.ReadFile("../../web/locales/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var msgs map[string]string
	if err := json.Unmarshal(b, &msgs); err != nil || msgs[key] == "" {
		t.Fatalf("no message %s (%v)", key, err)
	}
	return msgs[key]
}

var (
	lightboxRE = regexp.MustCompile(`<a href="([^"]+)" class="lightbox"><img src="([^"]+)" alt="([^"]*)"[^>]* loading="lazy">`)
	videoRE    = regexp.MustCompile(`<video controls preload="metadata" src="([^"]+)"`)
	downloadRE = regexp.MustCompile(`<a href="([^"]+)" download="([^"]+)">`)
)

// photos returns the photos of a page: the original's link, the image shown, its alt.
func photos(p page) [][3]string {
	var out [][3]string
	for _, m := range lightboxRE.FindAllStringSubmatch(p.body, -1) {
		out = append(out, [3]string{html.UnescapeString(m[1]), html.UnescapeString(m[2]), html.UnescapeString(m[3])})
	}
	return out
}

// absolute makes an address found in a page fetchable.
func absolute(base, href string) string {
	href = html.UnescapeString(href)
	if strings.HasPrefix(href, "/") {
		return base + href
	}
	return href
}

// TestWebMediaPosts is issue 8 through the web form: a member posts photos with alt
// texts in a group, a spreadsheet and a video; colleagues who may see the posts get the
// files under URLs that work without cookies, cleaned; a colleague outside the group
// is given no URL anywhere; a file that is not what it claims is refused, and nothing
// is posted.
func TestWebMediaPosts(t *testing.T) {
	m, base := boot(t)
	ana := signedIn(t, m, base, "ana", "member")
	bob := signedIn(t, m, base, "bob", "member")
	carl := signedIn(t, m, base, "carl", "member")
	wantRedirect(t, bob.submit("/groups", "/groups", url.Values{"name": {"Design"}, "handle": {"design"}, "kind": {"closed"}}), "/groups/design")
	wantRedirect(t, bob.submit("/groups/design", "/groups/design/invite", url.Values{"username": {"ana"}}), "/groups/design")
	wantRedirect(t, ana.submit("/groups/design", "/groups/design/join", url.Values{}), "/groups/design")

	// The compose box takes files, without any script.
	home := ana.get("/groups/design")
	for _, s := range []string{`enctype="multipart/form-data"`, `type="file" id="media" name="media" multiple`, `name="media_description"`} {
		want(t, home, 200, s)
	}

	// Four photos, one carrying GPS and a planted "SECRET", each with its alt text.
	alts := []string{`The office, from the "big" window`, "Whiteboard <sketch>", "Ana's desk", "Floor plan"}
	photoFiles := []formFile{
		{"holiday.jpg", "image/jpeg", corpus(t, "exif-gps.jpg")},
		{"chart.png", "image/png", corpus(t, "text-chunks.png")},
		{"desk.webp", "image/webp", corpus(t, "exif-xmp.webp")},
		{"plan.png", "image/png", bigPNG(t)},
	}
	wantRedirect(t, ana.submitFiles("/groups/design", "/posts", url.Values{"source": {"Our new #office"}, "group": {"design"},
		"back": {"/groups/design"}, "media_description": alts}, photoFiles, false), "/groups/design")

	group := bob.get("/groups/design")
	want(t, group, 200, "Our new")
	id := firstPostID(t, group)
	thread := bob.get("/posts/" + id)
	want(t, thread, 200, "Our new")
	var urls []string
	for what, p := range map[string]page{"group page": group, "thread": thread} {
		got := photos(p)
		if len(got) != 4 {
			t.Fatalf("%s: %d photos, want 4:\n%s", what, len(got), p.body)
		}
		for i, ph := range got {
			if ph[2] != alts[i] {
				t.Errorf("%s: photo %d has alt %q, want %q", what, i, ph[2], alts[i])
			}
			urls = append(urls, ph[0], ph[1])
		}
	}
	if !strings.Contains(group.body, `class="media-grid n4"`) {
		t.Error("four photos are not shown as a grid")
	}
	if photos(group)[3][0] == photos(group)[3][1] {
		t.Error("the large photo is shown at full size, not as its thumbnail")
	}
	for _, u := range urls {
		if pu, err := url.Parse(u); err != nil || !strings.HasPrefix(pu.Path, "/media/") || pu.Host != "" {
			t.Fatalf("photo URL %q: want a path on this site, which the pages' policy allows", u)
		}
		code, h, body := fetch(t, absolute(base, u))
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "image/") {
			t.Errorf("GET %s without cookies: %d %s", u, code, h.Get("Content-Type"))
		}
		if bytes.Contains(body, []byte("SECRET")) {
			t.Errorf("%s still carries the photo's metadata", u)
		}
	}

	// Carl, not in the group, is given no URL: not on the thread, nor on any page.
	want(t, carl.get("/posts/"+id), 404, "")
	for _, path := range []string{"/", "/company", "/@ana", "/notifications", "/groups/design", "/groups", "/tags/office"} {
		p := carl.get(path)
		if p.status != 200 || strings.Contains(p.body, "/media/") {
			t.Errorf("carl's %s (%d) holds a media URL or failed:\n%s", path, p.status, p.body)
		}
	}

	// A spreadsheet, sent by the script (the body read as a stream, its description
	// after it), is a download, never shown in the page.
	sheet := xlsx(t)
	wantRedirect(t, ana.submitFiles("/company", "/posts", url.Values{"source": {"Budget for Q3"}, "visibility": {"company"},
		"back": {"/company"}, "media_description": {"The Q3 budget"}}, []formFile{{"budget.xlsx", "application/octet-stream", sheet}}, true), "/company")
	company := bob.get("/company")
	dl := downloadRE.FindStringSubmatch(company.body)
	if dl == nil || dl[2] != "budget.xlsx" {
		t.Fatalf("no download link for the spreadsheet:\n%s", company.body)
	}
	want(t, company, 200, "The Q3 budget")
	code, h, body := fetch(t, absolute(base, dl[1]))
	if code != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("X-Content-Type-Options") != "nosniff" ||
		!bytes.Equal(body, sheet) {
		t.Errorf("GET the spreadsheet: %d, Content-Disposition %q, X-Content-Type-Options %q, %d bytes",
			code, h.Get("Content-Disposition"), h.Get("X-Content-Type-Options"), len(body))
	}

	// HTML dressed as a PNG is refused with its reason; the text comes back; nothing is posted.
	before := count(t, m, `SELECT count(*) FROM posts`)
	for _, viaScript := range []bool{false, true} {
		refused := ana.submitFiles("/groups/design", "/posts", url.Values{"source": {"Look at this"}, "group": {"design"}, "back": {"/groups/design"}},
			[]formFile{{"html.png", "image/png", corpus(t, "html.png")}}, viaScript)
		if refused.status != 422 {
			t.Fatalf("html.png (script %v): %d, want 422\n%s", viaScript, refused.status, refused.body)
		}
		page := html.UnescapeString(refused.body)
		if !strings.Contains(page, message(t, "error.media_unsupported")) && !strings.Contains(page, message(t, "error.media_mismatch")) {
			t.Errorf("html.png: the page gives no reason:\n%s", refused.body)
		}
		want(t, refused, 422, "html.png")
		want(t, refused, 422, "Look at this")
	}
	if after := count(t, m, `SELECT count(*) FROM posts`); after != before {
		t.Errorf("a refused file made %d posts", after-before)
	}

	// A video plays in the page.
	wantRedirect(t, ana.submitFiles("/groups/design", "/posts", url.Values{"source": {"Walkthrough"}, "group": {"design"}, "back": {"/groups/design"},
		"media_description": {"A walk through the new office"}}, []formFile{{"walk.mp4", "video/mp4", corpus(t, "gps.mp4")}}, true), "/groups/design")
	group = bob.get("/groups/design")
	v := videoRE.FindStringSubmatch(group.body)
	if v == nil {
		t.Fatalf("no video on the group page:\n%s", group.body)
	}
	if code, h, _ := fetch(t, absolute(base, v[1])); code != 200 || h.Get("Content-Type") != "video/mp4" {
		t.Errorf("GET the video: %d %s", code, h.Get("Content-Type"))
	}
	want(t, bob.get("/posts/"+firstPostID(t, group)), 200, `aria-label="A walk through the new office"`)
	// Carl sees Ana's company post, and its spreadsheet; never the group's video.
	vu, err := url.Parse(html.UnescapeString(v[1]))
	if err != nil {
		t.Fatal(err)
	}
	video := vu.Path
	for _, path := range []string{"/", "/company", "/@ana", "/groups/design", "/notifications"} {
		if p := carl.get(path); strings.Contains(p.body, video) {
			t.Errorf("carl's %s holds the group's video URL", path)
		}
	}
}
