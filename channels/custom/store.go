package custom

import (
	"context"
)

// Store is what the custom channel reads and writes of routedesk's store, and nothing more.
type Store interface {
	ConversationThread(ctx context.Context, accountID, conversationID string) (string, error)
}
