package domain

import (
	"errors"
	"fmt"
	"time"
)

// ChannelPendingVerification is the status of a channel whose address is not
// proven yet: it holds its claim on the address but receives no mail.
const ChannelPendingVerification = "pending_verification"

// ErrClaimed means another channel (of any account) holds the identity a
// channel wants: an email mailbox, a page id, a phone number id, a calling number.
var ErrClaimed = errors.New("the identity is claimed by another channel")

// ErrChannelUnverified means the channel of an inbound route has not proven its address yet (409).
var ErrChannelUnverified = errors.New("the channel's address is not verified yet")

// ClaimConflict is a refused claim on an identity, naming the config field that holds it (409).
type ClaimConflict struct {
	// Field is the config field, e.g. "config.address".
	Field string
	// Value is the claimed identity as written.
	Value string
}

// Error says which identity is taken.
func (c *ClaimConflict) Error() string {
	return fmt.Sprintf("%s %q is already connected to another channel (in this or another routedesk account); "+
		"disconnect that channel first", c.Field, c.Value)
}

// Is makes a ClaimConflict an ErrConflict and an ErrClaimed.
func (c *ClaimConflict) Is(target error) bool { return target == ErrConflict || target == ErrClaimed }

// RateLimited is a request refused for now (429); RetryAfter says when to try again.
type RateLimited struct {
	Message    string
	RetryAfter time.Duration
}

// Error returns the message.
func (r *RateLimited) Error() string { return r.Message }

// Overloaded is an inbound message refused because more accepted messages
// wait for their workflow than the installation's intake limit: the sender
// retries after RetryAfter (HTTP 503, SMTP 451 4.3.2); nothing was stored.
type Overloaded struct {
	Message    string
	RetryAfter time.Duration
}

// Error returns the message.
func (o *Overloaded) Error() string { return o.Message }
