// Package archtest holds the test that keeps the dependency direction of DESIGN.md
// true: front doors → domain → store interface, the store implementing it.
package archtest
