package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/internal/mailaddr"
	"github.com/routedesk/routedesk/store"
)

// refreshTimeout bounds one refresh at the provider (the grant's row stays locked meanwhile).
const refreshTimeout = 20 * time.Second

// accessToken is a mailbox's current access token, cached per process.
type accessToken struct {
	user, token string
	expiry      time.Time
}

// tokenCache holds the access tokens this process has read or refreshed, by channel id.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]accessToken
}

// MailboxToken returns the account and a valid access token of an OAuth-connected mailbox: the token
// this process holds, else the stored one, else one refreshed at the provider under the grant's row
// lock (one server refreshes; the others read its result). A refusal of the provider that needs a
// person (invalid_grant: consent revoked, password changed) marks the channel failing and is returned
// as a permanent *health.Problem; later calls return it without asking the provider until the mailbox is reconnected.
func (c *Channel) MailboxToken(ctx context.Context, channelID string, cfg *Config) (user, token string, expiry time.Time, err error) {
	margin := c.oauth.RefreshMargin
	c.tokens.mu.Lock()
	cached, ok := c.tokens.m[channelID]
	c.tokens.mu.Unlock()
	if ok && time.Until(cached.expiry) > margin && mailaddr.Mailbox(cached.user) == mailaddr.Mailbox(cfg.Address) {
		return cached.user, cached.token, cached.expiry, nil
	}
	g, err := c.store.LoadOAuthGrant(ctx, channelID)
	if errors.Is(err, domain.ErrNotFound) {
		return "", "", time.Time{}, health.Fail(fmt.Sprintf("%s is not connected through its provider: choose Connect %s in the channel's settings",
			cfg.Address, c.providerLabel(cfg)), true, err)
	}
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("read the mailbox's grant: %w", err)
	}
	if err := c.grantProblem(g, cfg); err != nil {
		return "", "", time.Time{}, err
	}
	tok, err := decodeToken(g.Token)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if time.Until(tok.Expiry) <= margin {
		if g, err = c.refreshGrant(ctx, channelID); err != nil {
			return "", "", time.Time{}, err
		}
		if tok, err = decodeToken(g.Token); err != nil {
			return "", "", time.Time{}, err
		}
	}
	at := accessToken{user: g.Account, token: tok.AccessToken, expiry: tok.Expiry}
	c.tokens.mu.Lock()
	c.tokens.m[channelID] = at
	c.tokens.mu.Unlock()
	return at.user, at.token, at.expiry, nil
}

// grantProblem is the reason g cannot serve cfg's mailbox: a stored refusal, or an address that is not the grant's account.
func (c *Channel) grantProblem(g store.OAuthGrant, cfg *Config) error {
	if g.Failure != "" {
		return health.Fail(g.Failure, true, errors.New(g.Failure))
	}
	if mailaddr.Mailbox(g.Account) != mailaddr.Mailbox(cfg.Address) {
		return health.Fail(fmt.Sprintf("config.address %s is not the connected mailbox %s: connect %s again with Reconnect",
			cfg.Address, g.Account, cfg.Address), true, nil)
	}
	return nil
}

// refreshGrant renews the grant's access token under its row lock, unless another server did meanwhile.
func (c *Channel) refreshGrant(ctx context.Context, channelID string) (store.OAuthGrant, error) {
	var refused *health.Problem
	g, err := c.store.UpdateOAuthGrant(ctx, channelID, func(g *store.OAuthGrant) (bool, error) {
		if g.Failure != "" {
			return false, nil
		}
		tok, err := decodeToken(g.Token)
		if err != nil {
			return false, err
		}
		if time.Until(tok.Expiry) > c.oauth.RefreshMargin {
			return false, nil // another server refreshed it while this one waited for the lock
		}
		p, ok := c.oauth.Providers[g.Provider]
		if !ok {
			return false, health.Fail(fmt.Sprintf("the %s provider is not configured on this server (its client id is unset)", g.Provider), true, nil)
		}
		rctx, cancel := context.WithTimeout(ctx, refreshTimeout)
		defer cancel()
		stale := &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
		fresh, err := c.oauth.config(p, p.Scopes).TokenSource(c.oauth.tokenContext(rctx, p.TokenScopes), stale).Token()
		if err != nil {
			refused = refusal(p, g.Account, err)
			if refused == nil {
				return false, fmt.Errorf("%s token refresh: %w", p.Label, err)
			}
			g.Failure = refused.Reason
			return true, nil
		}
		if fresh.RefreshToken == "" {
			fresh.RefreshToken = tok.RefreshToken // Google keeps the refresh token; Microsoft rotates it
		}
		if g.Token, err = json.Marshal(fresh); err != nil {
			return false, fmt.Errorf("encode token: %w", err)
		}
		g.AccessExpiresAt = fresh.Expiry
		g.Refreshes++
		return true, nil
	})
	if err != nil {
		var p *health.Problem
		if errors.As(err, &p) {
			return g, err
		}
		// The provider did not answer or failed for now: the component degrades, callers retry.
		return g, health.Fail("renewing the mailbox's access failed for now: "+truncate(err.Error(), 300), false, err)
	}
	if refused != nil {
		c.store.RecordHealth(ctx, channelID, health.OAuth, refused)
		return g, refused
	}
	if g.Failure != "" {
		return g, health.Fail(g.Failure, true, nil)
	}
	c.store.RecordHealth(ctx, channelID, health.OAuth, nil)
	return g, nil
}

// refusal describes a token-endpoint answer that needs a person: the grant is gone (invalid_grant), consent or
// sign-in is required again (interaction_required, consent_required), or the operator's client is refused; nil otherwise.
func refusal(p *OAuthProvider, account string, err error) *health.Problem {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return nil
	}
	said := re.ErrorCode
	if re.ErrorDescription != "" {
		said += ": " + truncate(re.ErrorDescription, 200)
	}
	switch re.ErrorCode {
	case "invalid_grant", "interaction_required", "consent_required", "login_required":
		return &health.Problem{Permanent: true, Err: err, Reason: fmt.Sprintf("%s refused to renew access to %s (%s): the consent was withdrawn, "+
			"the password changed or the sign-in expired. Reconnect: open the channel in the console and choose Reconnect %s.", p.Label, account, said, p.Label)}
	case "invalid_client", "unauthorized_client":
		return &health.Problem{Permanent: true, Err: err, Reason: fmt.Sprintf("%s refused routedesk's application (%s): the operator must check the %s client id and secret.",
			p.Label, said, p.Label)}
	}
	return nil
}

// decodeToken reads a stored token.
func decodeToken(raw []byte) (*oauth2.Token, error) {
	var tok oauth2.Token
	if err := json.Unmarshal(raw, &tok); err != nil {
		return nil, fmt.Errorf("decode the mailbox's token: %w", err)
	}
	return &tok, nil
}

// providerLabel names cfg's OAuth provider for people.
func (c *Channel) providerLabel(cfg *Config) string {
	if cfg.OAuth != nil {
		if p, ok := c.oauth.Providers[cfg.OAuth.Provider]; ok {
			return p.Label
		}
		return cfg.OAuth.Provider
	}
	return "Gmail or Connect Microsoft 365"
}

// ForgetToken drops an access token a mail server refused (revoked early, say): the process's copy and,
// when it is still the stored one, its validity, so the next login refreshes and learns whether the grant lives.
func (c *Channel) ForgetToken(ctx context.Context, channelID, token string) {
	c.tokens.mu.Lock()
	if c.tokens.m[channelID].token == token {
		delete(c.tokens.m, channelID)
	}
	c.tokens.mu.Unlock()
	_, err := c.store.UpdateOAuthGrant(ctx, channelID, func(g *store.OAuthGrant) (bool, error) {
		tok, err := decodeToken(g.Token)
		if err != nil || tok.AccessToken != token {
			return false, err
		}
		tok.Expiry = time.Now().Add(-time.Second)
		g.AccessExpiresAt = tok.Expiry
		g.Token, err = json.Marshal(tok)
		return err == nil, err
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		c.log.WarnContext(ctx, "forget a refused access token", "channel_id", channelID, "error", err)
	}
}

// mailboxTokens returns the IMAP and SMTP token functions of an OAuth-connected channel; nil ones for a password mailbox.
func (c *Channel) mailboxTokens(channelID string, cfg *Config) (TokenFunc, func(context.Context, string)) {
	if cfg.OAuth == nil {
		return nil, nil
	}
	return func(ctx context.Context) (string, string, time.Time, error) {
			return c.MailboxToken(ctx, channelID, cfg)
		},
		func(ctx context.Context, token string) { c.ForgetToken(ctx, channelID, token) }
}
