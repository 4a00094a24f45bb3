package meta

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHandshake(t *testing.T) {
	q := func(mode, token, challenge string) url.Values {
		v := url.Values{}
		if mode != "" {
			v.Set("hub.mode", mode)
		}
		if token != "" {
			v.Set("hub.verify_token", token)
		}
		if challenge != "" {
			v.Set("hub.challenge", challenge)
		}
		return v
	}
	tests := []struct {
		name      string
		query     url.Values
		token     string
		challenge string
		ok        bool
	}{
		{"ok", q("subscribe", "s3cret-token", "1158201444"), "s3cret-token", "1158201444", true},
		{"wrong token", q("subscribe", "guess", "1158201444"), "s3cret-token", "", false},
		{"token prefix", q("subscribe", "s3cret", "1158201444"), "s3cret-token", "", false},
		{"wrong mode", q("unsubscribe", "s3cret-token", "1158201444"), "s3cret-token", "", false},
		{"missing mode", q("", "s3cret-token", "1158201444"), "s3cret-token", "", false},
		{"empty configured token", q("subscribe", "", "1158201444"), "", "", false},
		{"empty configured token, token sent", q("subscribe", "x", "1158201444"), "", "", false},
		{"missing token", q("subscribe", "", "1158201444"), "s3cret-token", "", false},
		{"missing challenge", q("subscribe", "s3cret-token", ""), "s3cret-token", "", false},
		{"nil query", nil, "s3cret-token", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			challenge, ok := Handshake(tt.query, tt.token)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.challenge, challenge)
		})
	}
}
