package activitypub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The ActivityStreams types Ruche sends or understands. Object.Type holds one of these
// for known documents; an unknown type is kept as it came, for the caller to ignore.
const (
	// Actors.
	TypePerson      = "Person"
	TypeGroup       = "Group"
	TypeApplication = "Application"
	TypeService     = "Service" // bots elsewhere (GoToSocial, Mastodon); never sent by Ruche

	// Objects.
	TypeNote      = "Note"
	TypeArticle   = "Article"
	TypeImage     = "Image"
	TypeVideo     = "Video"
	TypeAudio     = "Audio"
	TypeDocument  = "Document"
	TypeTombstone = "Tombstone"

	// Links carried in tag.
	TypeLink    = "Link"
	TypeMention = "Mention"
	TypeHashtag = "Hashtag"

	// Activities.
	TypeCreate   = "Create"
	TypeUpdate   = "Update"
	TypeDelete   = "Delete"
	TypeFollow   = "Follow"
	TypeAccept   = "Accept"
	TypeReject   = "Reject"
	TypeUndo     = "Undo"
	TypeLike     = "Like"
	TypeAnnounce = "Announce"
	TypeAdd      = "Add"
	TypeRemove   = "Remove"
	TypeJoin     = "Join"
	TypeLeave    = "Leave"
	TypeInvite   = "Invite"

	// Collections.
	TypeCollection            = "Collection"
	TypeOrderedCollection     = "OrderedCollection"
	TypeCollectionPage        = "CollectionPage"
	TypeOrderedCollectionPage = "OrderedCollectionPage"
)

var knownTypes = map[string]bool{}

func init() {
	for _, t := range []string{TypePerson, TypeGroup, TypeApplication, TypeService,
		TypeNote, TypeArticle, TypeImage, TypeVideo, TypeAudio, TypeDocument, TypeTombstone,
		TypeLink, TypeMention, TypeHashtag,
		TypeCreate, TypeUpdate, TypeDelete, TypeFollow, TypeAccept, TypeReject, TypeUndo,
		TypeLike, TypeAnnounce, TypeAdd, TypeRemove, TypeJoin, TypeLeave, TypeInvite,
		TypeCollection, TypeOrderedCollection, TypeCollectionPage, TypeOrderedCollectionPage} {
		knownTypes[t] = true
	}
}

// KnownType reports whether t is one of the Type constants of this package.
func KnownType(t string) bool { return knownTypes[t] }

// Media types of ActivityPub documents (ActivityPub §3.2). Ruche sends ContentType and
// asks with Accept; it accepts either on input (see IsActivityPubType).
const (
	ContentType   = "application/activity+json"
	ContentTypeLD = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// ActivityStreamsNS is the ActivityStreams namespace, which is also the JSON-LD profile
// of ContentTypeLD.
const ActivityStreamsNS = "https://www.w3.org/ns/activitystreams"

// contextJSON is the @context of every top-level document Ruche writes: ActivityStreams,
// the security vocabulary (publicKey), and the extension terms Mastodon defines and
// reads for the properties Object models outside AS2 proper. It is fixed bytes so that
// output is deterministic.
const contextJSON = `["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",` +
	`{"Hashtag":"as:Hashtag","blurhash":"toot:blurhash","conversation":"ostatus:conversation",` +
	`"discoverable":"toot:discoverable","manuallyApprovesFollowers":"as:manuallyApprovesFollowers",` +
	`"ostatus":"http://ostatus.org#","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#"}]`

// IsActivityPubType reports whether an Accept or Content-Type header value names an
// ActivityPub document: application/activity+json, or application/ld+json whose
// profile (if any) lists the ActivityStreams namespace. For an Accept list it is enough
// that one entry qualifies with a non-zero q. Parameters such as charset are ignored.
func IsActivityPubType(header string) bool {
	for _, part := range splitOutsideQuotes(header, ',') {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err != nil || !(f > 0) {
				continue
			}
		}
		switch mt {
		case "application/activity+json":
			return true
		case "application/ld+json":
			profile, ok := params["profile"]
			if !ok {
				return true
			}
			for _, p := range strings.Fields(profile) {
				if p == ActivityStreamsNS {
					return true
				}
			}
		}
	}
	return false
}

// splitOutsideQuotes splits s at sep, except inside double-quoted strings (a profile
// parameter may be a quoted list).
func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// Object is any ActivityStreams document: an actor, a note, an activity, a collection,
// a link or an attachment. Type says which; each kind fills the fields listed for it
// and leaves the others empty, and empty fields are not written. Decoding never needs
// the type in advance, and properties not modelled here are kept in Extra.
type Object struct {
	ID   string // the object's IRI; empty for anonymous embedded objects
	Type string // one of the Type constants, or whatever unknown type arrived

	// Content (Note, Article, attachments, actors' profiles).
	Name         string            // display name; an attachment's alt text
	Summary      string            // content warning (Note), biography (actor)
	Content      string            // HTML
	ContentMap   map[string]string // content by language tag
	MediaType    string            // attachments: the file's MIME type
	Sensitive    bool              // Mastodon's as:sensitive: hide behind Summary
	Published    time.Time
	Updated      time.Time
	URL          Refs   // a human-readable page, or an attachment's file
	AttributedTo Refs   // author; for a FEP-1b12 Group, its moderators collection
	InReplyTo    Ref    // the post replied to
	Context      Ref    // AS2 "context" (the thread), not JSON-LD's @context
	Conversation string // Mastodon's ostatus:conversation, a thread identifier
	Tag          Refs   // Mention and Hashtag links
	Attachment   Refs   // Image, Video and Document objects
	Icon         Refs   // an actor's avatar (an Image)

	// Links (Mention, Hashtag) and media (Image, Video, Document).
	Href     string // a link's target: the actor mentioned, the tag's page
	Width    int
	Height   int
	Blurhash string // Mastodon's toot:blurhash placeholder

	// Addressing. Each is a list of actor or collection IRIs; see address.go.
	To       []string
	CC       []string
	BTo      []string // private recipients: strip before sending (WithoutHidden)
	BCC      []string
	Audience []string // FEP-1b12: the group a post belongs to

	// Activities.
	Actor  Ref
	Object Ref // the activity's object: an IRI or an embedded object or activity
	Target Ref // Add/Remove: the collection; Invite: the group

	// Actors (Person, Group, Application).
	PreferredUsername         string
	Inbox                     string
	Outbox                    string
	Followers                 string
	Following                 string
	SharedInbox               string // endpoints.sharedInbox
	PublicKey                 *PublicKey
	ManuallyApprovesFollowers *bool // nil: not said
	Discoverable              *bool // Mastodon's toot:discoverable; nil: not said

	// Collections and pages.
	TotalItems   *int // nil: not disclosed
	First        Ref
	Last         Ref
	Next         Ref
	Prev         Ref
	PartOf       Ref
	Items        Refs
	OrderedItems Refs

	// Tombstone.
	FormerType string
	Deleted    time.Time

	// Extra holds every property this package does not model, as it arrived (compacted
	// when written back). A key that names a modelled property is ignored on output.
	Extra map[string]json.RawMessage
}

// PublicKey is an actor's publicKey (security vocabulary v1): the key that verifies the
// actor's HTTP signatures. ID is what a signature's keyId names; Owner must be the actor.
type PublicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// Bool returns a pointer to b, for the optional booleans of Object.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to n, for Object.TotalItems.
func Int(n int) *int { return &n }

// fieldDecoder decodes one modelled property of an Object from its raw JSON value,
// which is valid JSON and not null.
type fieldDecoder func(o *Object, v []byte) error

// fields maps each modelled property to its lenient decoder. The wire struct below
// lists the same keys for output (a test checks that they agree).
var fields map[string]fieldDecoder

func init() {
	fields = map[string]fieldDecoder{
		"id":   iriField(func(o *Object) *string { return &o.ID }),
		"type": typeField(func(o *Object) *string { return &o.Type }),

		"name":         textField(func(o *Object) *string { return &o.Name }),
		"summary":      textField(func(o *Object) *string { return &o.Summary }),
		"content":      textField(func(o *Object) *string { return &o.Content }),
		"contentMap":   func(o *Object, v []byte) (err error) { o.ContentMap, err = decodeTextMap(v); return err },
		"mediaType":    textField(func(o *Object) *string { return &o.MediaType }),
		"sensitive":    func(o *Object, v []byte) (err error) { o.Sensitive, err = decodeBool(v); return err },
		"published":    timeField(func(o *Object) *time.Time { return &o.Published }),
		"updated":      timeField(func(o *Object) *time.Time { return &o.Updated }),
		"url":          refsField(func(o *Object) *Refs { return &o.URL }),
		"attributedTo": refsField(func(o *Object) *Refs { return &o.AttributedTo }),
		"inReplyTo":    refField(func(o *Object) *Ref { return &o.InReplyTo }),
		"context":      refField(func(o *Object) *Ref { return &o.Context }),
		"conversation": iriField(func(o *Object) *string { return &o.Conversation }),
		"tag":          refsField(func(o *Object) *Refs { return &o.Tag }),
		"attachment":   refsField(func(o *Object) *Refs { return &o.Attachment }),
		"icon":         refsField(func(o *Object) *Refs { return &o.Icon }),

		"href":     iriField(func(o *Object) *string { return &o.Href }),
		"width":    intField(func(o *Object) *int { return &o.Width }),
		"height":   intField(func(o *Object) *int { return &o.Height }),
		"blurhash": textField(func(o *Object) *string { return &o.Blurhash }),

		"to":       irisField(func(o *Object) *[]string { return &o.To }),
		"cc":       irisField(func(o *Object) *[]string { return &o.CC }),
		"bto":      irisField(func(o *Object) *[]string { return &o.BTo }),
		"bcc":      irisField(func(o *Object) *[]string { return &o.BCC }),
		"audience": irisField(func(o *Object) *[]string { return &o.Audience }),

		"actor":  refField(func(o *Object) *Ref { return &o.Actor }),
		"object": refField(func(o *Object) *Ref { return &o.Object }),
		"target": refField(func(o *Object) *Ref { return &o.Target }),

		"preferredUsername":         textField(func(o *Object) *string { return &o.PreferredUsername }),
		"inbox":                     iriField(func(o *Object) *string { return &o.Inbox }),
		"outbox":                    iriField(func(o *Object) *string { return &o.Outbox }),
		"followers":                 iriField(func(o *Object) *string { return &o.Followers }),
		"following":                 iriField(func(o *Object) *string { return &o.Following }),
		"endpoints":                 func(o *Object, v []byte) (err error) { o.SharedInbox, err = decodeEndpoints(v); return err },
		"publicKey":                 func(o *Object, v []byte) (err error) { o.PublicKey, err = decodePublicKey(v); return err },
		"manuallyApprovesFollowers": optBoolField(func(o *Object) **bool { return &o.ManuallyApprovesFollowers }),
		"discoverable":              optBoolField(func(o *Object) **bool { return &o.Discoverable }),

		"totalItems": func(o *Object, v []byte) error {
			n, err := decodeInt(v)
			o.TotalItems = &n
			return err
		},
		"first":        refField(func(o *Object) *Ref { return &o.First }),
		"last":         refField(func(o *Object) *Ref { return &o.Last }),
		"next":         refField(func(o *Object) *Ref { return &o.Next }),
		"prev":         refField(func(o *Object) *Ref { return &o.Prev }),
		"partOf":       refField(func(o *Object) *Ref { return &o.PartOf }),
		"items":        refsField(func(o *Object) *Refs { return &o.Items }),
		"orderedItems": refsField(func(o *Object) *Refs { return &o.OrderedItems }),

		"formerType": typeField(func(o *Object) *string { return &o.FormerType }),
		"deleted":    timeField(func(o *Object) *time.Time { return &o.Deleted }),
	}
}

func textField(f func(*Object) *string) fieldDecoder {
	return func(o *Object, v []byte) (err error) { *f(o), err = decodeString(v); return err }
}

func typeField(f func(*Object) *string) fieldDecoder {
	return func(o *Object, v []byte) (err error) { *f(o), err = decodeType(v); return err }
}

func iriField(f func(*Object) *string) fieldDecoder {
	return func(o *Object, v []byte) error {
		r, err := decodeRef(v)
		*f(o) = r.IRI
		return err
	}
}

func irisField(f func(*Object) *[]string) fieldDecoder {
	return func(o *Object, v []byte) error {
		rs, err := decodeRefs(v)
		*f(o) = rs.IRIs()
		return err
	}
}

func refField(f func(*Object) *Ref) fieldDecoder {
	return func(o *Object, v []byte) (err error) { *f(o), err = decodeRef(v); return err }
}

func refsField(f func(*Object) *Refs) fieldDecoder {
	return func(o *Object, v []byte) (err error) { *f(o), err = decodeRefs(v); return err }
}

func timeField(f func(*Object) *time.Time) fieldDecoder {
	return func(o *Object, v []byte) (err error) { *f(o), err = decodeTime(v); return err }
}

func intField(f func(*Object) *int) fieldDecoder {
	return func(o *Object, v []byte) (err error) { *f(o), err = decodeInt(v); return err }
}

func optBoolField(f func(*Object) **bool) fieldDecoder {
	return func(o *Object, v []byte) error {
		b, err := decodeBool(v)
		*f(o) = &b
		return err
	}
}

// wire is Object as written: the order of its fields is the order of the output, and
// its tags are the keys of fields.
type wire struct {
	ID                        string            `json:"id,omitempty"`
	Type                      string            `json:"type,omitempty"`
	Actor                     Ref               `json:"actor,omitzero"`
	Object                    Ref               `json:"object,omitzero"`
	Target                    Ref               `json:"target,omitzero"`
	AttributedTo              oneOrMany         `json:"attributedTo,omitempty"`
	InReplyTo                 Ref               `json:"inReplyTo,omitzero"`
	Context                   Ref               `json:"context,omitzero"`
	Conversation              string            `json:"conversation,omitempty"`
	PreferredUsername         string            `json:"preferredUsername,omitempty"`
	Name                      string            `json:"name,omitempty"`
	Summary                   string            `json:"summary,omitempty"`
	Content                   string            `json:"content,omitempty"`
	ContentMap                map[string]string `json:"contentMap,omitempty"`
	MediaType                 string            `json:"mediaType,omitempty"`
	Href                      string            `json:"href,omitempty"`
	Sensitive                 bool              `json:"sensitive,omitempty"`
	Published                 string            `json:"published,omitempty"`
	Updated                   string            `json:"updated,omitempty"`
	To                        []string          `json:"to,omitempty"`
	CC                        []string          `json:"cc,omitempty"`
	BTo                       []string          `json:"bto,omitempty"`
	BCC                       []string          `json:"bcc,omitempty"`
	Audience                  oneOrManyIRI      `json:"audience,omitempty"`
	URL                       oneOrMany         `json:"url,omitempty"`
	Icon                      oneOrMany         `json:"icon,omitempty"`
	Width                     int               `json:"width,omitempty"`
	Height                    int               `json:"height,omitempty"`
	Blurhash                  string            `json:"blurhash,omitempty"`
	Tag                       []Ref             `json:"tag,omitempty"`
	Attachment                []Ref             `json:"attachment,omitempty"`
	Inbox                     string            `json:"inbox,omitempty"`
	Outbox                    string            `json:"outbox,omitempty"`
	Followers                 string            `json:"followers,omitempty"`
	Following                 string            `json:"following,omitempty"`
	Endpoints                 *endpoints        `json:"endpoints,omitempty"`
	PublicKey                 *PublicKey        `json:"publicKey,omitempty"`
	ManuallyApprovesFollowers *bool             `json:"manuallyApprovesFollowers,omitempty"`
	Discoverable              *bool             `json:"discoverable,omitempty"`
	TotalItems                *int              `json:"totalItems,omitempty"`
	First                     Ref               `json:"first,omitzero"`
	Last                      Ref               `json:"last,omitzero"`
	Next                      Ref               `json:"next,omitzero"`
	Prev                      Ref               `json:"prev,omitzero"`
	PartOf                    Ref               `json:"partOf,omitzero"`
	Items                     []Ref             `json:"items,omitempty"`
	OrderedItems              []Ref             `json:"orderedItems,omitempty"`
	FormerType                string            `json:"formerType,omitempty"`
	Deleted                   string            `json:"deleted,omitempty"`
}

type endpoints struct {
	SharedInbox string `json:"sharedInbox"`
}

// oneOrMany writes a single value bare and several as an array: url, icon and
// attributedTo are single values at every implementation Ruche meets, and some read
// them as such.
type oneOrMany []Ref

func (m oneOrMany) MarshalJSON() ([]byte, error) {
	if len(m) == 1 {
		return m[0].MarshalJSON()
	}
	return marshal([]Ref(m))
}

// oneOrManyIRI is oneOrMany for audience, which Lemmy reads as one IRI.
type oneOrManyIRI []string

func (m oneOrManyIRI) MarshalJSON() ([]byte, error) {
	if len(m) == 1 {
		return marshal(m[0])
	}
	return marshal([]string(m))
}

// MarshalJSON writes o without @context (as an embedded object is written); Marshal
// writes a top-level document.
func (o Object) MarshalJSON() ([]byte, error) {
	w := wire{
		ID: o.ID, Type: o.Type, Actor: o.Actor, Object: o.Object, Target: o.Target,
		AttributedTo: nonZero(o.AttributedTo), InReplyTo: o.InReplyTo, Context: o.Context,
		Conversation: o.Conversation, PreferredUsername: o.PreferredUsername,
		Name: o.Name, Summary: o.Summary, Content: o.Content, ContentMap: o.ContentMap,
		MediaType: o.MediaType, Href: o.Href, Sensitive: o.Sensitive,
		Published: formatTime(o.Published), Updated: formatTime(o.Updated),
		To: o.To, CC: o.CC, BTo: o.BTo, BCC: o.BCC, Audience: o.Audience,
		URL: nonZero(o.URL), Icon: nonZero(o.Icon),
		Width: o.Width, Height: o.Height, Blurhash: o.Blurhash,
		Tag: nonZero(o.Tag), Attachment: nonZero(o.Attachment),
		Inbox: o.Inbox, Outbox: o.Outbox, Followers: o.Followers, Following: o.Following,
		PublicKey: o.PublicKey, ManuallyApprovesFollowers: o.ManuallyApprovesFollowers,
		Discoverable: o.Discoverable, TotalItems: o.TotalItems,
		First: o.First, Last: o.Last, Next: o.Next, Prev: o.Prev, PartOf: o.PartOf,
		Items: nonZero(o.Items), OrderedItems: nonZero(o.OrderedItems),
		FormerType: o.FormerType, Deleted: formatTime(o.Deleted),
	}
	if o.SharedInbox != "" {
		w.Endpoints = &endpoints{SharedInbox: o.SharedInbox}
	}
	body, err := marshal(w)
	if err != nil || len(o.Extra) == 0 {
		return body, err
	}
	keys := make([]string, 0, len(o.Extra))
	for k := range o.Extra {
		if _, known := fields[k]; !known && k != "@context" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	buf := bytes.NewBuffer(body[:len(body)-1])
	for _, k := range keys {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		kb, _ := marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		if err := json.Compact(buf, o.Extra[k]); err != nil {
			return nil, fmt.Errorf("extra property %q: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// nonZero drops absent values, which have no JSON form inside an array.
func nonZero(rs Refs) []Ref {
	var out []Ref
	for _, r := range rs {
		if !r.IsZero() {
			out = append(out, r)
		}
	}
	return out
}
