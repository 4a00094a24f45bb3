package email

import "github.com/emersion/go-sasl"

// XOAuth2 is the SASL mechanism Gmail and Microsoft 365 accept an OAuth 2.0 access token with on
// IMAP and SMTP (https://developers.google.com/gmail/imap/xoauth2-protocol); go-sasl has OAUTHBEARER only.
const XOAuth2 = "XOAUTH2"

// xoauth2Client is a sasl.Client for XOAUTH2: one initial response; the server's JSON error challenge
// is answered with an empty response, as the protocol asks, and the server then refuses the login.
type xoauth2Client struct {
	user, token string
}

// NewXOAuth2Client returns a SASL XOAUTH2 client logging in as user with an access token.
func NewXOAuth2Client(user, token string) sasl.Client {
	return &xoauth2Client{user: user, token: token}
}

// Start implements sasl.Client.
func (c *xoauth2Client) Start() (string, []byte, error) {
	return XOAuth2, []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next implements sasl.Client: a challenge after the initial response is the server's error.
func (c *xoauth2Client) Next([]byte) ([]byte, error) { return []byte{}, nil }
