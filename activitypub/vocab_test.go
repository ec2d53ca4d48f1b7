package activitypub

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// mastodonCreate is shaped like what Mastodon 4.x delivers for a post with a mention, a
// hashtag and an image: its own @context, nulls, and properties this package does not
// model (atomUri, replies, focalPoint).
const mastodonCreate = `{
  "@context": ["https://www.w3.org/ns/activitystreams", {"ostatus": "http://ostatus.org#",
    "atomUri": "ostatus:atomUri", "conversation": "ostatus:conversation", "sensitive": "as:sensitive",
    "toot": "http://joinmastodon.org/ns#", "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}, "Hashtag": "as:Hashtag"}],
  "id": "https://mastodon.example/users/alice/statuses/1101/activity",
  "type": "Create",
  "actor": "https://mastodon.example/users/alice",
  "published": "2024-05-01T10:00:00Z",
  "to": ["https://mastodon.example/users/alice/followers"],
  "cc": ["https://other.example/users/bob"],
  "object": {
    "id": "https://mastodon.example/users/alice/statuses/1101",
    "type": "Note",
    "summary": null,
    "inReplyTo": null,
    "published": "2024-05-01T10:00:00Z",
    "url": "https://mastodon.example/@alice/1101",
    "attributedTo": "https://mastodon.example/users/alice",
    "to": ["https://mastodon.example/users/alice/followers"],
    "cc": ["https://other.example/users/bob"],
    "sensitive": false,
    "atomUri": "https://mastodon.example/users/alice/statuses/1101",
    "conversation": "tag:mastodon.example,2024-05-01:objectId=77:objectType=Conversation",
    "content": "<p>Hello <span class=\"h-card\"><a href=\"https://other.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> <a href=\"https://mastodon.example/tags/go\" class=\"mention hashtag\" rel=\"tag\">#<span>go</span></a></p>",
    "contentMap": {"en": "<p>Hello @bob #go</p>"},
    "attachment": [{"type": "Document", "mediaType": "image/png",
      "url": "https://files.mastodon.example/media/1.png", "name": "A bee on a flower",
      "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH", "focalPoint": [0.0, 0.0], "width": 640, "height": 480}],
    "tag": [
      {"type": "Mention", "href": "https://other.example/users/bob", "name": "@bob@other.example"},
      {"type": "Hashtag", "href": "https://mastodon.example/tags/go", "name": "#go"}
    ],
    "replies": {"id": "https://mastodon.example/users/alice/statuses/1101/replies", "type": "Collection",
      "first": {"type": "CollectionPage", "next": "https://mastodon.example/users/alice/statuses/1101/replies?page=true",
        "partOf": "https://mastodon.example/users/alice/statuses/1101/replies", "items": []}}
  }
}`

// gtsActor is shaped like a GoToSocial Person: security context first, an empty tag
// array, no sharedInbox, featured collection.
const gtsActor = `{
  "@context": ["https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams",
    {"discoverable": "toot:discoverable", "featured": {"@id": "toot:featured", "@type": "@id"},
     "manuallyApprovesFollowers": "as:manuallyApprovesFollowers", "toot": "http://joinmastodon.org/ns#"}],
  "discoverable": false,
  "featured": "https://gts.example/users/carol/collections/featured",
  "followers": "https://gts.example/users/carol/followers",
  "following": "https://gts.example/users/carol/following",
  "icon": {"mediaType": "image/jpeg", "type": "Image", "url": "https://gts.example/fileserver/01H/avatar.jpeg"},
  "id": "https://gts.example/users/carol",
  "inbox": "https://gts.example/users/carol/inbox",
  "manuallyApprovesFollowers": true,
  "name": "Carol",
  "outbox": "https://gts.example/users/carol/outbox",
  "preferredUsername": "carol",
  "publicKey": {"id": "https://gts.example/users/carol/main-key", "owner": "https://gts.example/users/carol",
    "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n"},
  "summary": "<p>Beekeeper</p>",
  "tag": [],
  "type": "Person",
  "url": "https://gts.example/@carol"
}`

// groupAnnounce is a FEP-1b12 group relaying a member's Create to its members.
const groupAnnounce = `{
  "@context": "https://www.w3.org/ns/activitystreams",
  "id": "https://lemmy.example/activities/announce/9",
  "type": "Announce",
  "actor": "https://lemmy.example/c/bees",
  "to": "https://lemmy.example/c/bees/followers",
  "audience": "https://lemmy.example/c/bees",
  "object": {
    "id": "https://other.example/activities/create/5",
    "type": "Create",
    "actor": {"id": "https://other.example/u/dave", "type": "Person", "preferredUsername": "dave"},
    "to": ["https://lemmy.example/c/bees/followers"],
    "audience": ["https://lemmy.example/c/bees"],
    "object": {
      "id": "https://other.example/post/5",
      "type": "Note",
      "attributedTo": "https://other.example/u/dave",
      "audience": "https://lemmy.example/c/bees",
      "inReplyTo": "https://lemmy.example/post/4",
      "content": "<p>Swarm season</p>",
      "published": "2024-05-02T08:30:00.123+02:00"
    }
  }
}`

func TestDecodeDocuments(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		check func(t *testing.T, o *Object)
	}{
		{"Mastodon Create with mention, hashtag and image", mastodonCreate, func(t *testing.T, o *Object) {
			eq(t, "type", o.Type, TypeCreate)
			eq(t, "actor", o.Actor.IRI, "https://mastodon.example/users/alice")
			note := o.Object.Object
			if note == nil {
				t.Fatal("object: not embedded")
			}
			eq(t, "object IRI", o.Object.IRI, "https://mastodon.example/users/alice/statuses/1101")
			eq(t, "note type", note.Type, TypeNote)
			eq(t, "published", note.Published, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
			eq(t, "summary (null)", note.Summary, "")
			eq(t, "inReplyTo (null)", note.InReplyTo.IsZero(), true)
			eq(t, "url", note.URL.IRIs(), []string{"https://mastodon.example/@alice/1101"})
			eq(t, "contentMap", note.ContentMap["en"], "<p>Hello @bob #go</p>")
			eq(t, "conversation", note.Conversation, "tag:mastodon.example,2024-05-01:objectId=77:objectType=Conversation")
			eq(t, "tags", len(note.Tag), 2)
			eq(t, "mention", *note.Tag[0].Object, Object{Type: TypeMention, Href: "https://other.example/users/bob", Name: "@bob@other.example"})
			eq(t, "mention IRI", note.Tag[0].IRI, "https://other.example/users/bob")
			eq(t, "hashtag", note.Tag[1].Object.Type, TypeHashtag)
			a := note.Attachment[0].Object
			eq(t, "attachment", []any{a.Type, a.MediaType, a.Name, a.Width, a.Height, a.URL.IRIs()[0]},
				[]any{TypeDocument, "image/png", "A bee on a flower", 640, 480, "https://files.mastodon.example/media/1.png"})
			eq(t, "blurhash", a.Blurhash, "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH")
			eq(t, "attachment extra", string(a.Extra["focalPoint"]), "[0.0, 0.0]")
			eq(t, "note extra keys", keys(note.Extra), []string{"atomUri", "replies"})
		}},
		{"GoToSocial actor", gtsActor, func(t *testing.T, o *Object) {
			eq(t, "type", o.Type, TypePerson)
			eq(t, "preferredUsername", o.PreferredUsername, "carol")
			eq(t, "inbox", o.Inbox, "https://gts.example/users/carol/inbox")
			eq(t, "sharedInbox", o.SharedInbox, "")
			eq(t, "publicKey", *o.PublicKey, PublicKey{ID: "https://gts.example/users/carol/main-key",
				Owner: "https://gts.example/users/carol", PublicKeyPem: "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n"})
			eq(t, "manuallyApprovesFollowers", *o.ManuallyApprovesFollowers, true)
			eq(t, "discoverable", *o.Discoverable, false)
			eq(t, "icon", o.Icon[0].Object.URL.IRIs(), []string{"https://gts.example/fileserver/01H/avatar.jpeg"})
			eq(t, "tag", len(o.Tag), 0)
			eq(t, "extra", keys(o.Extra), []string{"featured"})
		}},
		{"FEP-1b12 Announce of a Create of a Note", groupAnnounce, func(t *testing.T, o *Object) {
			eq(t, "type", o.Type, TypeAnnounce)
			eq(t, "to (single string)", o.To, []string{"https://lemmy.example/c/bees/followers"})
			eq(t, "audience", o.Audience, []string{"https://lemmy.example/c/bees"})
			create := o.Object.Object
			eq(t, "inner type", create.Type, TypeCreate)
			eq(t, "embedded actor", create.Actor.IRI, "https://other.example/u/dave")
			eq(t, "embedded actor's name", create.Actor.Object.PreferredUsername, "dave")
			note := create.Object.Object
			eq(t, "note", note.Content, "<p>Swarm season</p>")
			eq(t, "note audience", note.Audience, []string{"https://lemmy.example/c/bees"})
			eq(t, "inReplyTo", note.InReplyTo, IRI("https://lemmy.example/post/4"))
			eq(t, "published in UTC", note.Published, time.Date(2024, 5, 2, 6, 30, 0, 123e6, time.UTC))
		}},
		{"Follow whose object is an IRI", `{"@context":"https://www.w3.org/ns/activitystreams",
			"id":"https://a.example/f/1","type":"Follow","actor":"https://a.example/u/x","object":"https://b.example/g/bees"}`,
			func(t *testing.T, o *Object) {
				eq(t, "object", o.Object, IRI("https://b.example/g/bees"))
			}},
		{"arrays of one where one value is expected, objects where IRIs are", `{"type":"Like",
			"actor":["https://a.example/u/x"],"object":[{"id":"https://b.example/n/1","type":"Note"}],
			"to":{"id":"https://b.example/u/y","type":"Person"},"cc":[null,"https://b.example/u/z",""],
			"inbox":{"id":"https://a.example/u/x/inbox","type":"OrderedCollection"}}`,
			func(t *testing.T, o *Object) {
				eq(t, "actor", o.Actor, IRI("https://a.example/u/x"))
				eq(t, "object", o.Object.Object.Type, TypeNote)
				eq(t, "to", o.To, []string{"https://b.example/u/y"})
				eq(t, "cc", o.CC, []string{"https://b.example/u/z"})
				eq(t, "inbox", o.Inbox, "https://a.example/u/x/inbox")
			}},
		{"type array: first known type wins", `{"type":["schema:Thing","Article","Note"],"name":"x"}`,
			func(t *testing.T, o *Object) { eq(t, "type", o.Type, TypeArticle) }},
		{"type array of unknown types keeps the first", `{"type":["Question","Poll"]}`,
			func(t *testing.T, o *Object) { eq(t, "type", o.Type, "Question") }},
		{"Application instance actor with a null icon id and an endpoints object", `{
			"@context": {"@vocab": "https://www.w3.org/ns/activitystreams"},
			"id":"https://m.example/actor","type":"Application","preferredUsername":"m.example",
			"endpoints":{"sharedInbox":"https://m.example/inbox","oauthAuthorizationEndpoint":"https://m.example/oauth"},
			"icon":{"id":null,"type":"Image","url":"https://m.example/a.svg"},
			"publicKey":[{"id":"https://m.example/actor#main-key","owner":"https://m.example/actor","publicKeyPem":"PEM"}]}`,
			func(t *testing.T, o *Object) {
				eq(t, "sharedInbox", o.SharedInbox, "https://m.example/inbox")
				eq(t, "icon", o.Icon[0].Object.Type, TypeImage)
				eq(t, "key id", o.PublicKey.ID, "https://m.example/actor#main-key")
			}},
		{"Group with moderators as attributedTo, and a Tombstone", `{"type":"Group","id":"https://r.example/g/1",
			"attributedTo":"https://r.example/g/1/moderators","object":{"type":"Tombstone","id":"https://r.example/p/1",
			"formerType":"Note","deleted":"2024-06-01T00:00:00Z"}}`,
			func(t *testing.T, o *Object) {
				mods, ok := o.AttributedTo.One()
				eq(t, "attributedTo", []any{mods.IRI, ok}, []any{"https://r.example/g/1/moderators", true})
				eq(t, "tombstone", []any{o.Object.Object.FormerType, o.Object.Object.Deleted},
					[]any{TypeNote, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)})
			}},
		{"OrderedCollectionPage", `{"type":"OrderedCollectionPage","id":"https://r.example/o?page=2","totalItems":0,
			"partOf":"https://r.example/o","next":"https://r.example/o?page=3","prev":{"id":"https://r.example/o?page=1"},
			"orderedItems":["https://r.example/a/1",{"id":"https://r.example/a/2","type":"Create"}]}`,
			func(t *testing.T, o *Object) {
				eq(t, "totalItems", *o.TotalItems, 0)
				eq(t, "prev", o.Prev.IRI, "https://r.example/o?page=1")
				eq(t, "items", o.OrderedItems.IRIs(), []string{"https://r.example/a/1", "https://r.example/a/2"})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Decode([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tt.check(t, o)
		})
	}
}

// TestRoundTrip: what Marshal writes, Decode reads back to the same value, and unknown
// properties (at any level) survive both ways, sorted.
func TestRoundTrip(t *testing.T) {
	for _, doc := range []string{mastodonCreate, gtsActor, groupAnnounce} {
		o, err := Decode([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		b1, err := Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		o2, err := Decode(b1)
		if err != nil {
			t.Fatalf("Decode(Marshal): %v\n%s", err, b1)
		}
		b2, _ := Marshal(o2)
		if string(b1) != string(b2) {
			t.Errorf("not stable:\n%s\n%s", b1, b2)
		}
	}
	o, _ := Decode([]byte(gtsActor))
	b, _ := Marshal(o)
	if !strings.Contains(string(b), `,"featured":"https://gts.example/users/carol/collections/featured"}`) {
		t.Errorf("unknown property lost or misplaced: %s", b)
	}
	o, _ = Decode([]byte(mastodonCreate))
	b, _ = Marshal(o)
	for _, want := range []string{`"focalPoint":[0.0,0.0]`, `"atomUri":"https://mastodon.example/users/alice/statuses/1101"`, `"items":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("output lacks %s: %s", want, b)
		}
	}
}

// TestMarshalGolden pins the exact bytes Ruche sends for an actor and for a post.
func TestMarshalGolden(t *testing.T) {
	group := &Object{
		ID: "https://ruche.example/groups/bees", Type: TypeGroup, PreferredUsername: "bees", Name: "Bees & co",
		Summary: "<p>All about bees</p>", Inbox: "https://ruche.example/groups/bees/inbox",
		Outbox: "https://ruche.example/groups/bees/outbox", Followers: "https://ruche.example/groups/bees/members",
		SharedInbox: "https://ruche.example/inbox", AttributedTo: Refs{IRI("https://ruche.example/groups/bees/moderators")},
		PublicKey: &PublicKey{ID: "https://ruche.example/groups/bees#main-key", Owner: "https://ruche.example/groups/bees",
			PublicKeyPem: "-----BEGIN PUBLIC KEY-----\nAB\n-----END PUBLIC KEY-----\n"},
		ManuallyApprovesFollowers: Bool(true), Discoverable: Bool(false),
		Extra: map[string]json.RawMessage{"type": json.RawMessage(`"Person"`), "zeta": json.RawMessage(`{ "a" : 1 }`)},
	}
	const wantGroup = `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",{"Hashtag":"as:Hashtag","blurhash":"toot:blurhash","conversation":"ostatus:conversation","discoverable":"toot:discoverable","manuallyApprovesFollowers":"as:manuallyApprovesFollowers","ostatus":"http://ostatus.org#","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#"}],` +
		`"id":"https://ruche.example/groups/bees","type":"Group","attributedTo":"https://ruche.example/groups/bees/moderators",` +
		`"preferredUsername":"bees","name":"Bees & co","summary":"<p>All about bees</p>",` +
		`"inbox":"https://ruche.example/groups/bees/inbox","outbox":"https://ruche.example/groups/bees/outbox",` +
		`"followers":"https://ruche.example/groups/bees/members","endpoints":{"sharedInbox":"https://ruche.example/inbox"},` +
		`"publicKey":{"id":"https://ruche.example/groups/bees#main-key","owner":"https://ruche.example/groups/bees","publicKeyPem":"-----BEGIN PUBLIC KEY-----\nAB\n-----END PUBLIC KEY-----\n"},` +
		`"manuallyApprovesFollowers":true,"discoverable":false,"zeta":{"a":1}}`
	golden(t, group, wantGroup)

	paris := time.FixedZone("Paris", 2*3600)
	note := &Object{
		ID: "https://ruche.example/posts/1", Type: TypeNote, AttributedTo: Refs{IRI("https://ruche.example/u/alice")},
		Content: "<p>Hi @bob</p>", Published: time.Date(2024, 5, 1, 12, 0, 0, 999, paris),
		To: []string{"https://ruche.example/groups/bees/members"}, Audience: []string{"https://ruche.example/groups/bees"},
		Tag: Refs{Embed(&Object{Type: TypeMention, Href: "https://ruche.example/u/bob", Name: "@bob"})},
		Attachment: Refs{Embed(&Object{Type: TypeImage, MediaType: "image/webp", URL: Refs{IRI("https://ruche.example/m/1.webp")},
			Name: "a bee", Width: 10, Height: 20, Blurhash: "LEHV6nWB2y"})},
	}
	create := &Object{ID: "https://ruche.example/posts/1/create", Type: TypeCreate, Actor: IRI("https://ruche.example/u/alice"),
		Object: Embed(note), To: note.To, Audience: note.Audience, Published: note.Published}
	const wantCreate = `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",{"Hashtag":"as:Hashtag","blurhash":"toot:blurhash","conversation":"ostatus:conversation","discoverable":"toot:discoverable","manuallyApprovesFollowers":"as:manuallyApprovesFollowers","ostatus":"http://ostatus.org#","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#"}],` +
		`"id":"https://ruche.example/posts/1/create","type":"Create","actor":"https://ruche.example/u/alice",` +
		`"object":{"id":"https://ruche.example/posts/1","type":"Note","attributedTo":"https://ruche.example/u/alice",` +
		`"content":"<p>Hi @bob</p>","published":"2024-05-01T10:00:00Z","to":["https://ruche.example/groups/bees/members"],` +
		`"audience":"https://ruche.example/groups/bees",` +
		`"tag":[{"type":"Mention","name":"@bob","href":"https://ruche.example/u/bob"}],` +
		`"attachment":[{"type":"Image","name":"a bee","mediaType":"image/webp","url":"https://ruche.example/m/1.webp","width":10,"height":20,"blurhash":"LEHV6nWB2y"}]},` +
		`"published":"2024-05-01T10:00:00Z","to":["https://ruche.example/groups/bees/members"],"audience":"https://ruche.example/groups/bees"}`
	golden(t, create, wantCreate)

	// An empty collection says it holds nothing rather than omitting the count.
	golden(t, &Object{ID: "https://r.example/c", Type: TypeOrderedCollection, TotalItems: Int(0)},
		`{"@context":`+contextJSON+`,"id":"https://r.example/c","type":"OrderedCollection","totalItems":0}`)
	golden(t, &Object{Type: TypeCollection}, `{"@context":`+contextJSON+`,"type":"Collection"}`)
}

func golden(t *testing.T, o *Object, want string) {
	t.Helper()
	got, err := Marshal(o)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if string(got) != want {
		t.Errorf("Marshal:\n got %s\nwant %s", got, want)
	}
}

func TestMarshalRefusesUntyped(t *testing.T) {
	if _, err := Marshal(&Object{ID: "https://r.example/x"}); err == nil {
		t.Error("Marshal of an object without type: no error")
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil): no error")
	}
}

// TestWireMatchesFields: every property Marshal writes is one Decode reads, and the
// other way round, so nothing modelled is written under one name and read under another.
func TestWireMatchesFields(t *testing.T) {
	var written []string
	wt := reflect.TypeFor[wire]()
	for i := range wt.NumField() {
		written = append(written, strings.Split(wt.Field(i).Tag.Get("json"), ",")[0])
	}
	slices.Sort(written)
	if got := keys(fields); !slices.Equal(got, written) {
		t.Errorf("decoded properties %v\nwritten properties %v", got, written)
	}
}

func TestIsActivityPubType(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"application/activity+json", true},
		{"application/activity+json; charset=utf-8", true},
		{"Application/Activity+JSON", true},
		{ContentTypeLD, true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams https://example.org/other"`, true},
		{"application/ld+json", true},
		{`text/html, application/ld+json; profile="https://www.w3.org/ns/activitystreams"; q=0.9`, true},
		{`application/ld+json; profile="https://example.org/other"`, false},
		{"application/activity+json;q=0", false},
		{"application/activity+json;q=0.000", false},
		{"application/json", false},
		{"text/html,application/xhtml+xml", false},
		{"", false},
		{"application/activity+json; profile=\"unterminated", false},
	}
	for _, tt := range tests {
		if got := IsActivityPubType(tt.header); got != tt.want {
			t.Errorf("IsActivityPubType(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
