package chat

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/routedesk/routedesk/domain"
)

// Store is what the chat channel reads and writes of routedesk's store, and nothing more.
type Store interface {
	Account(ctx context.Context, id string) (domain.Account, error)
	DB() *sqlx.DB
	MarkSent(ctx context.Context, accountID, messageID, providerID string) error
}
