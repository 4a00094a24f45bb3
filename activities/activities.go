// Package activities holds the side effects of routedesk's workflows: store
// writes, assignment and channel senders. Activities are methods on
// Activities, which holds their dependencies; the workflows call them by
// method value, so names cannot drift.
package activities

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/csat"
	"github.com/routedesk/routedesk/domain"
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
	// RuleMetrics counts the rules skipped because they failed; nil counts nothing.
	RuleMetrics *RuleMetrics
	// HTTP sends webhooks to custom channels; nil means a client with a SendTimeout timeout.
	HTTP *http.Client
	// Mail sends notification emails; nil when no SMTP server is configured.
	Mail Mailer
	// Graph sends Messenger and WhatsApp replies.
	Graph *graph.Client
	// Channels are the channel types replies go out on; nil means the built-in ones (with Store, Graph and HTTP).
	Channels *registry.Registry
	// WorkflowID names new conversations' workflows (workflows.ConversationIDs.ID, keyed from
	// ROUTEDESK_SECRET_KEY); the worker gives it to the import activities.
	WorkflowID store.WorkflowIDFor
	// CSAT signs the satisfaction surveys' rating links; nil fails surveys whose invitation needs one.
	CSAT *csat.Links

	defaultChannels     *registry.Registry
	defaultChannelsOnce sync.Once
}

// channels returns Channels, or the built-in registry.
func (a *Activities) channels() *registry.Registry {
	if a.Channels != nil {
		return a.Channels
	}
	a.defaultChannelsOnce.Do(func() {
		a.defaultChannels = registry.New(registry.Deps{Store: a.Store, Graph: a.Graph, HTTP: a.HTTP})
	})
	return a.defaultChannels
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
	case errors.Is(err, store.ErrAtCapacity), errors.Is(err, store.ErrStatusMove):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeConflict, err)
	}
	return err
}
