// Package activitypub is the federation protocol, independent of Ruche's storage and of
// the rest of the program: ActivityStreams types with lenient JSON, addressing helpers,
// HTTP signatures, WebFinger and NodeInfo, and a signed HTTP client. Any Go program may
// import it; it imports nothing under internal/ (a test in internal/archtest enforces
// this).
//
// Every ActivityStreams document is one [Object]: actors, notes, activities, collections
// and links differ only in which fields they fill, so an incoming activity is decoded
// without knowing its type in advance and the caller switches on [Object.Type]. A
// property that may hold an IRI or an embedded object is a [Ref] (one value) or [Refs]
// (several); properties this package does not model survive a decode/encode round trip
// in [Object.Extra].
//
// Input is hostile: [Decode] and [ReadObject] bound the size and nesting of a document,
// refuse duplicate keys and ambiguous single values, and never panic. Output is strict:
// [Marshal] writes the one @context Ruche uses, RFC 3339 UTC times and a deterministic
// byte sequence, so a document can be signed, compared and tested byte for byte.
//
// Addressing matters more here than in a public server: Ruche never addresses anything
// to the public collection, and refuses documents that are ([IsPublic]).
package activitypub
