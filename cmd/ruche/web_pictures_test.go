package main

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/testdb"
)

// pictureFile is a file sent in one of a picture form's file fields.
// pictureFile is a file of a form, in its field ("media", "avatar", "header").
type pictureFile struct {
	field string
	formFile
}

// submitPictures POSTs a picture form as a browser without the script does.
func (b *browser) submitPictures(formPage, action string, fields url.Values, files ...pictureFile) page {
	b.t.Helper()
	return b.submitParts(formPage, action, fields, files, false)
}

// phonePhoto is a picture past the bound of ordinary form bodies (1 MiB), as photos
// from phones are.
func phonePhoto(t *testing.T) []byte {
	t.Helper()
	b := noisyPNG(t, 900, 900)
	if len(b) <= 1<<20 {
		t.Fatalf("the photo is only %d bytes", len(b))
	}
	return b
}

var (
	avatarImgRE = regexp.MustCompile(`<img src="([^"]+)" alt="" class="avatar( big)?"`)
	bannerRE    = regexp.MustCompile(`<img src="([^"]+)" alt="" class="banner"`)
)

// articleOf is the HTML of the post with id on p.
func articleOf(t *testing.T, p page, id string) string {
	t.Helper()
	start := strings.Index(p.body, `<article class="post" id="p`+id+`"`)
	if start < 0 {
		t.Fatalf("post %s is not on the page:\n%s", id, p.body)
	}
	end := strings.Index(p.body[start:], "</article>")
	return p.body[start : start+end]
}

// wantPicture checks that the picture at src (as found in a page) is served, without
// cookies, from this site, clean, of a type that begins with ctype.
func wantPicture(t *testing.T, base, src, ctype string) {
	t.Helper()
	src = html.UnescapeString(src)
	if u, err := url.Parse(src); err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/media/") {
		t.Fatalf("picture URL %q: want a path on this site, which the pages' policy allows", src)
	}
	code, h, body := fetch(t, absolute(base, src))
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), ctype) || bytes.Contains(body, []byte("SECRET")) {
		t.Errorf("GET %s without cookies: %d %s, clean %v", src, code, h.Get("Content-Type"), !bytes.Contains(body, []byte("SECRET")))
	}
}

// TestWebPictures is issue 8's pictures and link cards in the web UI: a member sets
// her avatar and header from her settings and colleagues see them beside her posts and
// on her profile, served clean without cookies; what is not an image is refused with
// its reason; removing the avatar brings the initials back. A group's pictures are its
// managers': its other members get no form and are refused, whoever may not know the
// group is told it does not exist. A post's link card shows its text, escaped.
func TestWebPictures(t *testing.T) {
	ctx := context.Background()
	m, base := boot(t)
	ana := signedIn(t, m, base, "ana", "member")
	bob := signedIn(t, m, base, "bob", "member")
	carl := signedIn(t, m, base, "carl", "member")
	photo := pictureFile{"avatar", formFile{"me.jpg", "image/jpeg", corpus(t, "exif-gps.jpg")}}
	sound := pictureFile{"avatar", formFile{"me.mp3", "audio/mpeg", corpus(t, "tags.mp3")}}

	settings := ana.get("/settings/profile")
	for _, s := range []string{`action="/settings/profile/pictures" enctype="multipart/form-data"`, `type="file" id="avatar" name="avatar"`,
		`type="file" id="header" name="header"`} {
		want(t, settings, 200, s)
	}
	if strings.Contains(settings.body, `name="remove"`) {
		t.Error("the settings offer to remove pictures Ana does not have")
	}
	wantRedirect(t, ana.submitPictures("/settings/profile", "/settings/profile/pictures", nil, photo), "/settings/profile?done=pictures_saved")
	want(t, ana.get("/settings/profile?done=pictures_saved"), 200, message(t, "flash.pictures_saved"))

	// Bob follows Ana: her post on his home page carries her picture.
	wantRedirect(t, bob.submit("/@ana", "/@ana/follow", url.Values{}), "/@ana")
	wantRedirect(t, ana.submit("/company", "/posts", url.Values{"source": {"Hello from Ana"}, "visibility": {"company"}, "back": {"/company"}}), "/company")
	home := bob.get("/")
	id := firstPostID(t, home)
	img := avatarImgRE.FindStringSubmatch(articleOf(t, home, id))
	if img == nil {
		t.Fatalf("Ana's post shows no picture:\n%s", articleOf(t, home, id))
	}
	wantPicture(t, base, img[1], "image/jpeg")
	if prof := avatarImgRE.FindStringSubmatch(bob.get("/@ana").body); prof == nil || prof[2] != " big" {
		t.Error("Ana's profile shows no picture")
	}
	if !avatarImgRE.MatchString(bob.get("/people?q=ana").body) {
		t.Error("the directory shows no picture for Ana")
	}

	// A header image is the profile's banner.
	header := pictureFile{"header", formFile{"wide.png", "image/png", phonePhoto(t)}}
	wantRedirect(t, ana.submitPictures("/settings/profile", "/settings/profile/pictures", nil, header), "/settings/profile")
	banner := bannerRE.FindStringSubmatch(bob.get("/@ana").body)
	if banner == nil {
		t.Fatal("Ana's profile shows no header image")
	}
	wantPicture(t, base, banner[1], "image/") // the header may come back as another type

	// A sound is no picture: the form comes back with the reason, the avatar stays.
	refused := ana.submitPictures("/settings/profile", "/settings/profile/pictures", nil, sound)
	want(t, refused, 422, message(t, "error.picture_not_image"))
	want(t, refused, 422, `name="remove" value="avatar"`)
	want(t, ana.submitPictures("/settings/profile", "/settings/profile/pictures", nil), 422, message(t, "error.picture_none"))
	if !avatarImgRE.MatchString(articleOf(t, bob.get("/"), id)) {
		t.Error("a refused file took Ana's picture away")
	}

	// Removed, the avatar gives way to the initials; the banner stays.
	wantRedirect(t, ana.submit("/settings/profile", "/settings/profile/pictures", url.Values{"remove": {"avatar"}}), "/settings/profile?done=picture_removed")
	post := articleOf(t, bob.get("/"), id)
	if avatarImgRE.MatchString(post) || !strings.Contains(post, `<span class="avatar" aria-hidden="true">A</span>`) {
		t.Errorf("after removal Ana's post shows:\n%s", post)
	}
	if !bannerRE.MatchString(bob.get("/@ana").body) {
		t.Error("removing the avatar took the header image too")
	}

	// A group's pictures are its managers'.
	wantRedirect(t, bob.submit("/groups", "/groups", url.Values{"name": {"Design"}, "handle": {"design"}, "kind": {"open"}}), "/groups/design")
	wantRedirect(t, ana.submit("/groups/design", "/groups/design/join", url.Values{}), "/groups/design")
	want(t, bob.get("/groups/design"), 200, `action="/groups/pictures" enctype="multipart/form-data"`)
	// A photo straight from a phone is larger than ordinary forms may be.
	big := pictureFile{"header", formFile{"big.png", "image/png", phonePhoto(t)}}
	wantRedirect(t, bob.submitPictures("/groups/design", "/groups/pictures", url.Values{"group": {"design"}}, photo, big), "/groups/design?done=pictures_saved")
	if !bannerRE.MatchString(ana.get("/groups/design").body) {
		t.Error("the group's page shows no header image")
	}
	group := ana.get("/groups/design")
	gimg := avatarImgRE.FindStringSubmatch(group.body)
	if gimg == nil || gimg[2] != " big" {
		t.Fatalf("the group's page shows no picture:\n%s", group.body)
	}
	wantPicture(t, base, gimg[1], "image/jpeg")
	if !avatarImgRE.MatchString(ana.get("/groups").body) {
		t.Error("the group directory shows no picture for the group")
	}
	if strings.Contains(group.body, `action="/groups/pictures"`) {
		t.Error("a plain member is offered the group's picture form")
	}
	want(t, ana.submitPictures("/groups/design", "/groups/pictures", url.Values{"group": {"design"}}, photo), 403, "")
	want(t, ana.submit("/groups/design", "/groups/pictures", url.Values{"group": {"design"}, "remove": {"avatar"}}), 403, "")
	want(t, bob.submitPictures("/groups/design", "/groups/pictures", url.Values{"group": {"design"}}, sound), 422, message(t, "error.picture_not_image"))
	if !avatarImgRE.MatchString(ana.get("/groups/design").body) {
		t.Error("refused or forbidden forms took the group's picture away")
	}
	// Whoever may not know a secret group is told it does not exist.
	wantRedirect(t, bob.submit("/groups", "/groups", url.Values{"name": {"Hush"}, "handle": {"hush"}, "kind": {"secret"}}), "/groups/hush")
	want(t, carl.submitPictures("/groups", "/groups/pictures", url.Values{"group": {"hush"}}, photo), 404, "")
	want(t, carl.submit("/groups", "/groups/pictures", url.Values{"group": {"hush"}, "remove": {"avatar"}}), 404, "")
	// The form's fixed address does not hide a group of that name.
	wantRedirect(t, bob.submit("/groups", "/groups", url.Values{"name": {"Pictures"}, "handle": {"pictures"}, "kind": {"open"}}), "/groups/pictures")
	want(t, carl.get("/groups/pictures"), 200, "@pictures")

	// A link card: its text, escaped, linking out; never an image.
	wantRedirect(t, ana.submit("/company", "/posts", url.Values{"source": {"The plan for Q3"}, "visibility": {"company"}, "back": {"/company"}}), "/company")
	cid := firstPostID(t, bob.get("/company"))
	link := "https://plans.example/q3?a=1&b=2"
	if _, err := m.db.store.Pool().Exec(ctx, `INSERT INTO link_cards (url, state, title, description, provider, fetched_at)
		VALUES ($1, 'ready', '<b>Quarterly</b> plan', 'What we ship <script>alert(1)</script>', 'Plans', now())`, link); err != nil {
		t.Fatal(err)
	}
	if _, err := m.db.store.Pool().Exec(ctx, `UPDATE posts SET card_url = $1 WHERE id = $2`, link, cid); err != nil {
		t.Fatal(err)
	}
	card := articleOf(t, bob.get("/company"), cid)
	for _, s := range []string{`<a class="link-card" href="https://plans.example/q3?a=1&amp;b=2" rel="nofollow noopener noreferrer" target="_blank">`,
		"&lt;b&gt;Quarterly&lt;/b&gt; plan", "What we ship &lt;script&gt;", ">Plans<"} {
		if !strings.Contains(card, s) {
			t.Errorf("the card lacks %q:\n%s", s, card)
		}
	}
	if strings.Contains(card, "<script>") || strings.Contains(card, "<b>") {
		t.Errorf("the card's text is not escaped:\n%s", card)
	}
	if strings.Contains(articleOf(t, bob.get("/company"), id), "link-card") {
		t.Error("a post without a card shows one")
	}
}

// TestUploadsLeaveNoTempFiles: forms with files are spooled to temporary files past a
// small bound; none is left behind, whether the form was refused unread (no one signed
// in: 1 MB at most, whatever it claims), taken, or sent to the client API.
func TestUploadsLeaveNoTempFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	m, base := bootWith(t, testdb.New(t), nil)
	ana := signedIn(t, m, base, "ana", "member")
	big := pictureFile{"header", formFile{"wide.png", "image/png", phonePhoto(t)}}

	// Anonymous: refused, and read no further than 1 MB.
	stranger := newBrowser(t, base)
	if p := stranger.submitPictures("/login", "/settings/profile/pictures", url.Values{}, big); p.status < 400 {
		t.Errorf("an anonymous picture form: %d", p.status)
	}
	// A form refused by the CSRF check, which had to read it to look for its token.
	var form bytes.Buffer
	fw0 := multipart.NewWriter(&form)
	part, _ := fw0.CreateFormFile("media", "note.png")
	part.Write(bytes.Repeat([]byte("x"), 900<<10))
	fw0.Close()
	stranger.get("/login") // the CSRF cookie, without which nothing is read
	req0, _ := http.NewRequest("POST", base+"/posts", &form)
	req0.Header.Set("Content-Type", fw0.FormDataContentType())
	resp0, err := stranger.c.Do(req0)
	if err != nil {
		t.Fatal(err)
	}
	resp0.Body.Close()
	if resp0.StatusCode != 403 {
		t.Errorf("a form without its token: %d, want 403", resp0.StatusCode)
	}
	// Signed in, through the form, and through the client API.
	if p := ana.submitPictures("/settings/profile/pictures", "/settings/profile/pictures", url.Values{}, big); p.status != 303 {
		t.Fatalf("ana's picture form: %d", p.status)
	}
	anaUser, err := m.db.store.UserByUsername(context.Background(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	app := withToken(t, m, base, anaUser, "write:accounts")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("avatar", "me.png")
	fw.Write(big.body)
	mw.Close()
	req, _ := http.NewRequest("PATCH", base+"/api/v1/accounts/update_credentials", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+app.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("avatar through the API: %d", resp.StatusCode)
	}
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("left in the temporary directory: %s", e.Name())
	}
}
