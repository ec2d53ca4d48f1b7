package activitypub

// Keys: RSA key pairs and the PEM forms actors publish them in.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// GenerateKey makes an RSA-2048 key pair, the size every fediverse server accepts.
func GenerateKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// EncodePublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" block, the form of an actor's
// publicKeyPem.
func EncodePublicKeyPEM(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("activitypub: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// DecodePublicKeyPEM decodes an RSA public key from a PKIX "PUBLIC KEY" block or, as
// some servers send, a PKCS#1 "RSA PUBLIC KEY" block. Anything after the block but
// white space is refused, as is any other key type.
func DecodePublicKeyPEM(s string) (*rsa.PublicKey, error) {
	block, err := onePEMBlock(s)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("activitypub: PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("activitypub: public key: %w", err)
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("activitypub: public key is %T, not RSA", key)
	}
	return pub, nil
}

// EncodePrivateKeyPEM encodes key as a PKCS#8 "PRIVATE KEY" block.
func EncodePrivateKeyPEM(key *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("activitypub: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// DecodePrivateKeyPEM decodes an RSA private key from a PKCS#8 "PRIVATE KEY" block
// (or a PKCS#1 "RSA PRIVATE KEY" block, as older tools write).
func DecodePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	block, err := onePEMBlock(s)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("activitypub: PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("activitypub: private key: %w", err)
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("activitypub: private key is %T, not RSA", key)
	}
	return priv, nil
}

func onePEMBlock(s string) (*pem.Block, error) {
	if len(s) > 64<<10 {
		return nil, errors.New("activitypub: PEM too long")
	}
	block, rest := pem.Decode([]byte(s))
	if block == nil || len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("activitypub: want exactly one PEM block")
	}
	return block, nil
}
