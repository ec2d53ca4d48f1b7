// Package webpushtest plays the other ends of Web Push in tests: a phone that
// subscribes and decrypts what it receives (RFC 8291 over RFC 8188, written from the
// RFCs, independently of the sender), and a push service on loopback that records
// what it is sent.
package webpushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"golang.org/x/crypto/hkdf"
)

// Phone is a subscriber: the key pair and secret an app makes when it subscribes.
type Phone struct {
	Key    *ecdh.PrivateKey
	Secret []byte // the 16-byte authentication secret
}

// NewPhone makes a subscriber with fresh keys.
func NewPhone(t testing.TB) *Phone {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	return &Phone{Key: k, Secret: secret}
}

// P256dh is the public key as an app sends it: base64url without padding.
func (p *Phone) P256dh() string {
	return base64.RawURLEncoding.EncodeToString(p.Key.PublicKey().Bytes())
}

// Auth is the secret as an app sends it.
func (p *Phone) Auth() string { return base64.RawURLEncoding.EncodeToString(p.Secret) }

// Decrypt opens a push message sent to p.
func (p *Phone) Decrypt(body []byte) ([]byte, error) { return Decrypt(body, p.Key, p.Secret) }

// Decrypt is the user agent's side of RFC 8291: it opens an aes128gcm body (RFC 8188)
// with the subscriber's private key and authentication secret. A push message is a
// single record; anything else is an error.
func Decrypt(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	// RFC 8188 section 2.1: salt (16) | rs (4) | idlen (1) | keyid (idlen) | records.
	if len(body) < 21 {
		return nil, errors.New("short header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("keyid of %d bytes, want the sender's 65-byte public key", idlen)
	}
	asPublicBytes, record := body[21:21+idlen], body[21+idlen:]
	if rs < 18 || uint32(len(record)) > rs {
		return nil, fmt.Errorf("%d bytes of records with rs %d: more than one record", len(record), rs)
	}
	asPublic, err := ecdh.P256().NewPublicKey(asPublicBytes)
	if err != nil {
		return nil, err
	}
	// RFC 8291 sections 3.3 and 3.4.
	ecdhSecret, err := ua.ECDH(asPublic)
	if err != nil {
		return nil, err
	}
	keyInfo := append(append([]byte("WebPush: info\x00"), ua.PublicKey().Bytes()...), asPublicBytes...)
	ikm := expand(hkdf.Extract(sha256.New, ecdhSecret, auth), keyInfo, 32)
	prk := hkdf.Extract(sha256.New, ikm, salt)
	cek := expand(prk, []byte("Content-Encoding: aes128gcm\x00"), 16)
	nonce := expand(prk, []byte("Content-Encoding: nonce\x00"), 12)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, record, nil) // record 0: the nonce as derived
	if err != nil {
		return nil, err
	}
	// RFC 8188 section 2: the content, the delimiter (2 for the last record), zeros.
	end := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}

func expand(prk, info []byte, n int) []byte {
	out := make([]byte, n)
	if _, err := io.ReadFull(hkdf.Expand(sha256.New, prk, info), out); err != nil {
		panic(err) // only for n beyond 255 hashes
	}
	return out
}

// Service is a push service on loopback that records every request and answers with
// a status of the test's choosing (201 Created at first).
type Service struct {
	*httptest.Server

	mu     sync.Mutex
	status int
	header http.Header
	got    []Request
}

// Request is what the push service received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// NewService starts a push service, stopped when t ends.
func NewService(t testing.TB) *Service {
	t.Helper()
	s := &Service{status: http.StatusCreated, header: http.Header{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: b})
		status := s.status
		for k, v := range s.header {
			w.Header()[k] = v
		}
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

// Answer makes the service answer status from now on, with header (which may be nil).
func (s *Service) Answer(status int, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.header = status, header.Clone()
}

// Received returns the requests so far.
func (s *Service) Received() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.got...)
}
