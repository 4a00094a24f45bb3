package email

import (
	"context"
	"time"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Store is what the email channel reads and writes of routedesk's store, and nothing more.
type Store interface {
	AcceptInbound(ctx context.Context, in store.Inbound, workflowID store.WorkflowIDFor) (store.Accepted, error)
	AccountEmailAddresses(ctx context.Context, accountID string) ([]string, error)
	ChannelByID(ctx context.Context, id string) (domain.Channel, error)
	ChannelsOfType(ctx context.Context, typ string, limit int) ([]domain.Channel, error)
	ConnectOAuthMailbox(ctx context.Context, accountID string, m store.OAuthMailbox) (domain.Channel, error)
	ConversationOfProviderID(ctx context.Context, channelID, providerID string) (string, error)
	ConversationOfReply(ctx context.Context, channelID string, ids []string) (string, bool, error)
	CreateOAuthFlow(ctx context.Context, f store.OAuthFlow) error
	EmailChannelByMailbox(ctx context.Context, mailbox string) (ch domain.Channel, found bool, err error)
	EmailThread(ctx context.Context, accountID, conversationID string) (store.EmailThreadHeaders, error)
	FailOutboundByProviderID(ctx context.Context, channelID, providerID, reason string) (bool, error)
	InitIMAPState(ctx context.Context, channelID string, st store.IMAPState) (store.IMAPState, error)
	LatestInboundAddresses(ctx context.Context, accountID, conversationID string) (store.EmailAddresses, bool, error)
	LeaseIMAP(ctx context.Context, channelID, owner string, ttl time.Duration) (bool, error)
	LoadIMAPState(ctx context.Context, channelID string) (store.IMAPState, error)
	LoadOAuthGrant(ctx context.Context, channelID string) (store.OAuthGrant, error)
	MarkDelivered(ctx context.Context, messageIDs ...string) error
	Message(ctx context.Context, accountID, id string) (domain.Message, error)
	MessageAttachment(ctx context.Context, accountID, messageID string, n int) (store.Attachment, error)
	MessageAttachments(ctx context.Context, accountID, messageID string, after, limit int) ([]store.Attachment, error)
	RecordHealth(ctx context.Context, channelID, component string, err error)
	ReleaseIMAP(ctx context.Context, channelID, owner string) error
	ReplyRecipients(ctx context.Context, accountID, messageID string) (store.EmailAddresses, bool, error)
	SaveEmailMessage(ctx context.Context, accountID string, meta store.EmailMeta, atts []store.Attachment) error
	SaveIMAPState(ctx context.Context, channelID string, st store.IMAPState) error
	SetIMAPSeam(ctx context.Context, channelID string, uidValidity, uid uint32) error
	TakeOAuthFlow(ctx context.Context, state, browser string) (store.OAuthFlow, error)
	ThreadByMessageIDs(ctx context.Context, channelID string, ids []string) (string, bool, error)
	ThreadByTicket(ctx context.Context, channelID, ticketID string) (string, bool, error)
	TicketOfConversation(ctx context.Context, accountID, conversationID string) (string, error)
	UpdateOAuthGrant(ctx context.Context, channelID string, fn func(g *store.OAuthGrant) (changed bool, err error)) (store.OAuthGrant, error)
	UserName(ctx context.Context, accountID, userID string) (string, error)
	RecordIgnored(ctx context.Context, accountID string, in store.IgnoredInbound) (bool, error)
}
