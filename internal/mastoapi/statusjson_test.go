package mastoapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/capurl"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestEncodedStatusesReadAsMarshalled checks that a page encoded from reused parts
// reads exactly as the plain encoding of the same posts, for the reader whose marks
// they carry, on first encoding and on reuse with other marks, and that a new stamp
// or a lapsed presence is not served from the old parts.
func TestEncodedStatusesReadAsMarshalled(t *testing.T) {
	a := &API{BaseURL: "https://hive.example", Title: "Hive"}
	soon := time.Now().Add(time.Hour)
	author := ruche.Author{ID: 7, Username: "ana", DisplayName: "Ana", CreatedAt: time.Unix(1700000000, 0),
		Presence: ruche.Presence{Emoji: "🌴", Text: "away", ExpiresAt: &soon}}
	original := ruche.Post{ID: 10, Author: author, Visibility: ruche.VisCompany, HTML: "<p>a \"quoted\" <b>post</b> &amp; more</p>",
		CreatedAt: time.Unix(1700000100, 0), Likes: 3, Boosts: 1, Replies: 2, Liked: true, Stamp: 1,
		Tags: []string{"news"}, Mentions: []ruche.Author{{ID: 8, Username: "bob"}}, InReplyToID: 9, InReplyToAccountID: 8}
	event := ruche.Post{ID: 11, Author: author, Visibility: ruche.VisGroup, HTML: "<p>party</p>", CreatedAt: time.Unix(1700000200, 0),
		Group: &ruche.GroupRef{ID: 3, Handle: "team", Name: "Team"}, Pinned: true, Bookmarked: true, Stamp: 2,
		Event: &ruche.Event{Title: "Party", Start: time.Unix(1800000000, 0), Place: "Roof"}}
	boost := ruche.Post{ID: 12, Author: ruche.Author{ID: 8, Username: "bob"}, Visibility: ruche.VisCompany,
		CreatedAt: time.Unix(1700000300, 0), Reblog: &original, Stamp: 3}
	fresh := ruche.Post{ID: 13, Author: author, Visibility: ruche.VisFollowers, HTML: "<p>no stamp</p>", CreatedAt: time.Unix(1700000400, 0)}

	same := func(what string, posts []ruche.Post) {
		t.Helper()
		enc, err := a.encodeStatuses(posts)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := json.Marshal(a.statuses(posts))
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%s: encoded page is not JSON: %v\n%s", what, err, enc)
		}
		if err := json.Unmarshal(plain, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", what, enc, plain)
		}
		if err := noDuplicateKeys(json.NewDecoder(bytes.NewReader(enc))); err != nil {
			t.Errorf("%s: %v in %s", what, err, enc)
		}
	}
	page := []ruche.Post{boost, event, original, fresh}
	same("first encoding", page)
	same("from reused parts", page)

	// Another reader: other marks on the same versions.
	other := []ruche.Post{boost, event, original, fresh}
	other[1].Bookmarked, other[2].Liked, other[2].Replies = false, false, 0
	r := *boost.Reblog
	r.Boosted, r.Liked = true, false
	other[0].Reblog = &r
	same("another reader's marks", other)

	// A new version of a post (an edit) must not read as the old one.
	edited := original
	edited.HTML, edited.Stamp = "<p>edited</p>", 9
	same("after an edit", []ruche.Post{edited})

	// Once the author's presence lapses, the name no longer shows it.
	past := time.Now().Add(-time.Minute)
	a.statusCache.mu.Lock()
	p := a.statusCache.parts[event.ID]
	p.until = past
	a.statusCache.parts[event.ID] = p
	a.statusCache.mu.Unlock()
	lapsed := event
	lapsed.Author.Presence = ruche.Presence{}
	same("after the presence lapsed", []ruche.Post{lapsed})
}

// noDuplicateKeys reads one JSON value and fails on an object with a key twice, which
// decoders answer differently (Go keeps the last, others the first).
func noDuplicateKeys(d *json.Decoder) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return err
			}
			if seen[k.(string)] {
				return fmt.Errorf("key %q twice", k)
			}
			seen[k.(string)] = true
			if err := noDuplicateKeys(d); err != nil {
				return err
			}
		}
		_, err = d.Token()
	case json.Delim('['):
		for d.More() {
			if err := noDuplicateKeys(d); err != nil {
				return err
			}
		}
		_, err = d.Token()
	}
	return err
}

// TestEncodedStatusesRenewMediaURLs checks that a status with attachments is not
// served from parts encoded in an earlier signing period: its URLs would have expired.
func TestEncodedStatusesRenewMediaURLs(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := &ruche.Media{URLs: capurl.Signer{Key: bytes.Repeat([]byte{7}, capurl.MinKeyLen)}, BaseURL: "https://hive.example",
		Now: func() time.Time { return now }}
	a := &API{BaseURL: "https://hive.example", Title: "Hive", Media: m}
	photo := ruche.Attachment{ID: 5, Kind: ruche.MediaImage, State: ruche.MediaReady, Width: 640, Height: 480, ThumbWidth: 320, ThumbHeight: 240}
	post := ruche.Post{ID: 20, Author: ruche.Author{ID: 7, Username: "ana"}, Visibility: ruche.VisCompany, HTML: "<p>look</p>",
		CreatedAt: time.Unix(1700000000, 0), Media: []ruche.Attachment{photo}, Stamp: 4}
	urlIn := func() string {
		t.Helper()
		enc, err := a.encodeStatuses([]ruche.Post{post})
		if err != nil {
			t.Fatal(err)
		}
		var got []Status
		if err := json.Unmarshal(enc, &got); err != nil || len(got) != 1 || len(got[0].MediaAttachments) != 1 {
			t.Fatalf("encoded %s: %v", enc, err)
		}
		return *got[0].MediaAttachments[0].URL
	}
	first := urlIn()
	if want := m.URL(photo, ruche.VariantOriginal); first != want {
		t.Fatalf("url %s, want %s", first, want)
	}
	now = now.Add(time.Hour)
	if again := urlIn(); again != first {
		t.Errorf("within the period: %s, then %s", first, again)
	}
	now = now.Add(72 * time.Hour) // the first URL has expired
	if later, want := urlIn(), m.URL(photo, ruche.VariantOriginal); later != want || later == first {
		t.Errorf("a period later: %s, want %s (first %s)", later, want, first)
	}
}
