package mastoapi

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Pages of statuses are what apps read most, and encoding them was most of a warm
// page's cost. A status is the same for every member who may see it but for the
// reader's own marks, so the rest is encoded once per version of the post (the store's
// ruche.Post.Stamp) and the marks are written after it for each reader. Nothing here
// decides who sees what: the posts come from the gate, and a post without a stamp is
// encoded afresh. Attachments' capability URLs are the same for every viewer within a
// signing period and change with it, so a status with attachments is reused only
// while URLs signed now would carry the same expiry: a cached status never hands out
// a URL that has expired, or is about to.

// encodedJSON is a response body already encoded; write sends it as it is, then gives
// its buffer back (release).
type encodedJSON []byte

// buffers recycles the pages' buffers: at thousands of pages a second, allocating (and
// zeroing, and collecting) 40 KB each was a tenth of the work.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (e encodedJSON) release() {
	b := []byte(e)[:0]
	if cap(b) <= 1<<20 {
		buffers.Put(&b)
	}
}

// statusParts is a version of a status without the reader's marks: its JSON object
// without the closing brace, valid until the author's presence lapses (it shows in
// the account's name) and, with attachments, for URLs of one expiry (mediaExpiry).
type statusParts struct {
	stamp, reblogStamp uint64
	until              time.Time
	mediaExpiry        int64
	head               []byte
}

// withoutMarks is a Status whose reader-dependent members are left out: fields of
// the outer struct hide the embedded ones of the same name, and empty ones are omitted.
type withoutMarks struct {
	Status
	Favourited   *bool `json:"favourited,omitempty"`
	Reblogged    *bool `json:"reblogged,omitempty"`
	Bookmarked   *bool `json:"bookmarked,omitempty"`
	RepliesCount *int  `json:"replies_count,omitempty"`
	Reblog       *bool `json:"reblog,omitempty"`
}

const maxStatusParts = 100_000

type statusCache struct {
	mu    sync.RWMutex
	parts map[int64]statusParts
}

// encodeStatuses encodes a page of posts as a JSON array of Mastodon statuses.
func (a *API) encodeStatuses(posts []ruche.Post) (encodedJSON, error) {
	buf := (*buffers.Get().(*[]byte))[:0]
	buf = append(buf, '[')
	for i, p := range posts {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = a.appendStatus(buf, p); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

func (a *API) appendStatus(buf []byte, p ruche.Post) ([]byte, error) {
	head, err := a.statusHead(p)
	if err != nil {
		return nil, err
	}
	buf = append(buf, head...)
	buf = append(buf, `,"favourited":`...)
	buf = strconv.AppendBool(buf, p.Liked)
	buf = append(buf, `,"reblogged":`...)
	buf = strconv.AppendBool(buf, p.Boosted)
	buf = append(buf, `,"bookmarked":`...)
	buf = strconv.AppendBool(buf, p.Bookmarked)
	buf = append(buf, `,"replies_count":`...)
	buf = strconv.AppendInt(buf, int64(p.Replies), 10)
	buf = append(buf, `,"reblog":`...)
	if p.Reblog != nil {
		if buf, err = a.appendStatus(buf, *p.Reblog); err != nil {
			return nil, err
		}
	} else {
		buf = append(buf, "null"...)
	}
	return append(buf, '}'), nil
}

// statusHead returns p's status without the reader's marks and closing brace, from
// the cache when p's version was encoded before.
func (a *API) statusHead(p ruche.Post) ([]byte, error) {
	var reblogStamp uint64
	if p.Reblog != nil {
		reblogStamp = p.Reblog.Stamp
	}
	cacheable := p.Stamp != 0 && (p.Reblog == nil || reblogStamp != 0)
	now := time.Now()
	// Read before encoding: should the period turn meanwhile, the entry is keyed
	// with the older expiry and encoded again on its next use.
	expiry := a.mediaExpiry(p)
	if cacheable {
		a.statusCache.mu.RLock()
		c, ok := a.statusCache.parts[p.ID]
		a.statusCache.mu.RUnlock()
		if ok && c.stamp == p.Stamp && c.reblogStamp == reblogStamp && c.mediaExpiry == expiry && (c.until.IsZero() || now.Before(c.until)) {
			return c.head, nil
		}
	}
	whole, err := json.Marshal(withoutMarks{Status: a.status(p)})
	if err != nil {
		return nil, err
	}
	head := whole[:len(whole)-1]
	if cacheable {
		var until time.Time
		if e := p.Author.Presence.ExpiresAt; e != nil && e.After(now) {
			until = *e
		}
		a.statusCache.mu.Lock()
		if a.statusCache.parts == nil || len(a.statusCache.parts) >= maxStatusParts {
			a.statusCache.parts = map[int64]statusParts{} // start again rather than track age
		}
		a.statusCache.parts[p.ID] = statusParts{stamp: p.Stamp, reblogStamp: reblogStamp, until: until, mediaExpiry: expiry, head: head}
		a.statusCache.mu.Unlock()
	}
	return head, nil
}

// mediaExpiry is the expiry of the URLs p's own attachments and its author's avatar
// would be signed with now (0 without either): the head of a boost carries none of
// the original's, which is encoded apart.
func (a *API) mediaExpiry(p ruche.Post) int64 {
	if len(p.Media) == 0 && p.Author.Avatar == 0 || a.Media == nil {
		return 0
	}
	return a.Media.Expires().Unix()
}
