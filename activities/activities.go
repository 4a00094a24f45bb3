// Package activities holds the side effects of routedesk's workflows: store
// writes, assignment and channel senders. Activities are methods on
// Activities, which holds their dependencies; the workflows call them by
// method value, so names cannot drift.
package activities

import (
	"errors"
	"log/slog"
	"net/http"

	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/graph"
	"github.com/routedesk/routedesk/rules"
	"github.com/routedesk/routedesk/store"
)

// Non-retryable error types; the workflow decides what to do about them.
const (
	// ErrTypeNotFound means a record the activity needs is gone (a deleted channel, say).
	ErrTypeNotFound = "NotFound"
	// ErrTypeInvalid means the input can never succeed.
	ErrTypeInvalid = "InvalidInput"
	// ErrTypeConflict means the change conflicts with the state (an agent at capacity).
	ErrTypeConflict = "Conflict"
)

// Activities are routedesk's activity implementations.
type Activities struct {
	Store *store.Store
	Rules *rules.Engine
	Log   *slog.Logger
	// HTTP sends webhooks to custom channels; nil means a client with a SendTimeout timeout.
	HTTP *http.Client
	// Mail sends notification emails; nil when no SMTP server is configured.
	Mail Mailer
	// Graph sends Messenger and WhatsApp replies.
	Graph *graph.Client
}

// classify turns permanent failures into typed non-retryable errors and leaves
// the rest (a database that is down, a timeout) to the retry policy.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var invalid *domain.ValidationError
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotFound, err)
	case errors.As(err, &invalid):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	case errors.Is(err, store.ErrAtCapacity):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeConflict, err)
	}
	return err
}
