package ruche

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// NewToken returns a random 256-bit secret, URL-safe, for cookies and links, and the
// SHA-256 under which it is stored: the database never holds a usable secret.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux; if it does, nothing is safe
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the lookup key of a token given by a client.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
