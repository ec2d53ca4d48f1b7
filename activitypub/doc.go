// Package activitypub is the federation protocol, independent of Ruche's storage and of
// the rest of the program: ActivityStreams types with lenient JSON, addressing helpers,
// HTTP signatures, WebFinger and NodeInfo, and a signed HTTP client. Any Go program may
// import it; it imports nothing under internal/ (a test in internal/archtest enforces
// this). Its content arrives with federation (issue 6).
package activitypub
