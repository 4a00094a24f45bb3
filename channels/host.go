package channels

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Host is what the server offers a channel's inbound entry points.
type Host interface {
	// Accept stores an inbound message of ch first (a redelivery of the same external id is a no-op,
	// answered Duplicate), then delivers it to its conversation workflow; when Temporal cannot take
	// it now the message stays stored and is delivered later.
	Accept(ctx context.Context, ch domain.Channel, in store.Inbound) (store.Accepted, error)
	// AccountID is the account whose token, channel key or signature authenticated c (routes with AuthAdmin, AuthAny or AuthChannel).
	AccountID(c *gin.Context) string
	// Channel returns the account's connected channel id: a disconnected one is an error Fail answers 410, another account's 404.
	Channel(ctx context.Context, accountID, id string) (domain.Channel, error)
	// DecodeJSON reads c's body into dst like every API route: a JSON Content-Type (or none), exact keys,
	// no unknown fields, then dst's validate tags; every problem is an error Fail answers 4xx naming the field.
	DecodeJSON(c *gin.Context, dst any) error
	// Decoy returns what Accept would answer for in, with fresh ids that lead nowhere, storing
	// nothing: the answer to a submission refused silently (a form's honeypot).
	Decoy(ch domain.Channel, in store.Inbound) store.Accepted
	// CheckStorable refuses a JSON body PostgreSQL cannot store (NUL, invalid UTF-8) with an error Fail answers 422 naming the field.
	CheckStorable(body []byte) error
	// Fail answers c with the problem+json err maps to (404, 409, 422 naming fields, 503 …).
	Fail(c *gin.Context, err error)
	// Problem answers c with a problem+json of status and detail.
	Problem(c *gin.Context, status int, detail string)
	// Log is the server's logger.
	Log() *slog.Logger
	// Store is what inbound entry points read and write of the system of record.
	Store() HostStore
	// Config returns ch's configuration, decoded by its channel type with secrets unsealed.
	Config(ctx context.Context, ch domain.Channel) (Config, error)
}

// HostStore is the part of the system of record a channel's inbound routes may use:
// channels by id or external key, calls, receipts, and the record of ignored traffic.
type HostStore interface {
	IgnoredStore
	Channel(ctx context.Context, accountID, id string) (domain.Channel, error)
	ChannelByID(ctx context.Context, id string) (domain.Channel, error)
	ChannelByExternalKey(ctx context.Context, typ, key string) (domain.Channel, error)
	ChannelsOfType(ctx context.Context, typ string, limit int) ([]domain.Channel, error)
	ApplyReceipt(ctx context.Context, accountID, channelID, messageID, status, errText string) (current string, applied bool, err error)
	MarkProviderFailed(ctx context.Context, channelID, providerID string) (bool, error)
	RecordCall(ctx context.Context, c store.Call) (stored store.Call, moved bool, err error)
	SetCallMessage(ctx context.Context, callRowID, messageID string) error
	ThreadHasOpenTicket(ctx context.Context, channelID, threadKey string) (bool, error)
	// RecordWebhook notes that a signed webhook delivery for the channel arrived.
	RecordWebhook(ctx context.Context, channelID string) error
	// AnswerCSATInThread stores a satisfaction survey's rating a customer tapped in a messaging app.
	AnswerCSATInThread(ctx context.Context, channelID, threadKey, ticketID string, rating int, window time.Duration) (domain.CSAT, error)
}

// Auth says who may call a route.
type Auth string

// The route authentications.
const (
	// AuthNone: anyone; the handler authenticates (a webhook signature, a channel key).
	AuthNone Auth = ""
	// AuthAdmin: an account's admin token.
	AuthAdmin Auth = "admin"
	// AuthAny: an admin or agent token.
	AuthAny Auth = "any"
	// AuthChannel: a key of the route's channel (the :id path parameter), an admin token of its account,
	// or a request the channel signs itself (RequestVerifier); Host.AccountID is the channel's account.
	AuthChannel Auth = "channel"
)

// RequestVerifier is a channel whose inbound requests may be signed with a secret of its configuration instead of a key.
type RequestVerifier interface {
	// VerifyRequest checks the signature of a request (its headers and raw body) against cfg at now:
	// signed is false when the request carries no signature; err says why a signature is refused.
	VerifyRequest(cfg Config, header http.Header, body []byte, now time.Time) (signed bool, err error)
}

// Route is one inbound HTTP entry point of a channel; the server registers it and documents it in /openapi.json.
type Route struct {
	Method string
	// Path is in gin syntax: /webhooks/messenger, /v1/channels/:id/submissions.
	Path    string
	Auth    Auth
	Tag     string
	Summary string
	// Query lists the documented query parameters.
	Query []string
	// Request and Response are zero values of the body types, for the schema; nil means none.
	Request  any
	Response any
	// Status is the success status.
	Status  int
	Handler gin.HandlerFunc
	// MaxBodyBytes raises the server's request body limit for this route (raw mail); 0 keeps it.
	MaxBodyBytes int64
	// JSONBody marks a JSON body without a Request schema that the handler checks itself
	// with Host.CheckStorable (a provider's signed webhook); the API documents it as a JSON object.
	JSONBody bool
	// Problems are the route's own error statuses (409, 410, 429…) for the API document.
	Problems []int
}

// Router takes a channel's routes.
type Router interface {
	// Handle registers r.
	Handle(r Route)
}
