package messenger

import (
	"context"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Store is what the messenger channel reads and writes of routedesk's store, and nothing more.
type Store interface {
	AddOutbound(ctx context.Context, o store.Outbound) (domain.Message, error)
	ChannelUserConsent(ctx context.Context, accountID, channelID, externalUserID string) (*domain.Consent, error)
	ConversationCustomer(ctx context.Context, accountID, conversationID string) (domain.Author, error)
	FailOutbound(ctx context.Context, accountID, messageID, reason string) (bool, error)
	RecordConsent(ctx context.Context, accountID, contactID string, c domain.Consent) error
	SetMessageStatus(ctx context.Context, accountID, messageID, status string) error
	UpsertContact(ctx context.Context, accountID, channelID string, a domain.Author) (store.ResolvedContact, error)
}
