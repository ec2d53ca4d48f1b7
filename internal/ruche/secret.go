package ruche

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Secrets seal actors' private keys at rest with AES-256-GCM under a key derived from
// RUCHE_SECRET_KEY, so that a copy of the database alone cannot sign as this
// instance. Each sealed value starts with a version byte and four bytes naming the
// secret it was sealed under, so a rotation can keep the previous secret for opening
// while sealing under the new one, and `ruche federation reseal` can move every key
// over (README, "Federation with partner instances", Keys).
type Secrets struct {
	current  secret
	previous []secret
}

type secret struct {
	id   [4]byte
	aead cipher.AEAD
}

const sealVersion = 1

// MinSecretLength is the shortest RUCHE_SECRET_KEY accepted: 32 bytes of randomness,
// written as base64 (44 characters) or any string at least that long.
const MinSecretLength = 32

// NewSecrets derives sealing keys from the current secret and any previous ones.
func NewSecrets(current string, previous ...string) (*Secrets, error) {
	c, err := deriveSecret(current)
	if err != nil {
		return nil, err
	}
	s := &Secrets{current: c}
	for _, p := range previous {
		if strings.TrimSpace(p) == "" {
			continue
		}
		ps, err := deriveSecret(p)
		if err != nil {
			return nil, fmt.Errorf("previous secret: %w", err)
		}
		s.previous = append(s.previous, ps)
	}
	return s, nil
}

// NewSecretKey returns a fresh random secret in the form RUCHE_SECRET_KEY takes.
func NewSecretKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func deriveSecret(s string) (secret, error) {
	s = strings.TrimSpace(s)
	if len(s) < MinSecretLength {
		return secret{}, fmt.Errorf("the secret key must be at least %d characters (make one with: openssl rand -base64 32)", MinSecretLength)
	}
	key, err := hkdf.Key(sha256.New, []byte(s), nil, "ruche actor keys v1", 32)
	if err != nil {
		return secret{}, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return secret{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return secret{}, err
	}
	sum := sha256.Sum256(append([]byte("ruche secret id:"), key...))
	var out secret
	copy(out.id[:], sum[:4])
	out.aead = aead
	return out, nil
}

// Seal encrypts plain under the current secret; label binds the result to its owner
// (an actor), so a sealed key moved to another row does not open.
func (s *Secrets) Seal(plain []byte, label string) []byte {
	nonce := make([]byte, s.current.aead.NonceSize())
	rand.Read(nonce)
	head := append([]byte{sealVersion}, s.current.id[:]...)
	out := append(head, nonce...)
	return s.current.aead.Seal(out, nonce, plain, []byte(label))
}

// ErrSealedElsewhere is a sealed value whose secret is neither the current one nor a
// previous one given: RUCHE_SECRET_KEY changed without a rotation.
var ErrSealedElsewhere = errors.New("sealed under a secret key this node does not have (was RUCHE_SECRET_KEY changed without keeping the previous one in RUCHE_SECRET_KEY_PREVIOUS?)")

// Open decrypts what Seal made, under the current or a previous secret.
func (s *Secrets) Open(sealed []byte, label string) ([]byte, error) {
	if len(sealed) < 5 || sealed[0] != sealVersion {
		return nil, errors.New("not a sealed value")
	}
	for _, k := range append([]secret{s.current}, s.previous...) {
		if [4]byte(sealed[1:5]) != k.id {
			continue
		}
		rest := sealed[5:]
		n := k.aead.NonceSize()
		if len(rest) < n {
			return nil, errors.New("sealed value cut short")
		}
		return k.aead.Open(nil, rest[:n], rest[n:], []byte(label))
	}
	return nil, ErrSealedElsewhere
}

// Current reports whether sealed was sealed under the current secret.
func (s *Secrets) Current(sealed []byte) bool {
	return len(sealed) >= 5 && [4]byte(sealed[1:5]) == s.current.id
}
