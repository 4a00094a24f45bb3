// Package secrets seals small secrets at rest (channel tokens, passwords) with
// AES-256-GCM under one 32-byte key.
//
// A sealed value is: 1 version byte, a random 12-byte nonce, then the GCM
// ciphertext and tag. The version byte lets a later release add key rotation
// (a key id per version) without breaking values sealed today.
package secrets
