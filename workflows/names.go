// Package workflows holds routedesk's deterministic workflow code: the
// ConversationWorkflow that turns one inbound conversation into a routed
// ticket, with the names, signals, queries and search attributes it exposes.
package workflows

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// DefaultTaskQueue is the task queue routedesk's workers poll unless configured otherwise.
const DefaultTaskQueue = "routedesk"

// Signal, query and memo names of the conversation workflow.
const (
	// SignalInboundMessage delivers an InboundMessage to the conversation.
	SignalInboundMessage = "inbound-message"
	// QueryState returns the conversation's ConversationState.
	QueryState = "state"
	// MemoChannelName is the memo field holding the channel's name.
	MemoChannelName = "channel_name"
)

// Search attributes the conversation and import workflows keep current, for the Temporal UI and CLI.
var (
	ChannelTypeKey  = temporal.NewSearchAttributeKeyKeyword("ChannelType")
	ChannelIDKey    = temporal.NewSearchAttributeKeyKeyword("ChannelId")
	AccountIDKey    = temporal.NewSearchAttributeKeyKeyword("AccountId")
	TicketIDKey     = temporal.NewSearchAttributeKeyKeyword("TicketId")
	AssigneeIDKey   = temporal.NewSearchAttributeKeyKeyword("AssigneeId")
	RoutingStateKey = temporal.NewSearchAttributeKeyKeyword("RoutingState")
	ReplyWindowKey  = temporal.NewSearchAttributeKeyKeyword("ReplyWindow")
	// TicketStatusKey is the ticket's lifecycle status (new, open, pending, on_hold, solved, closed).
	TicketStatusKey = temporal.NewSearchAttributeKeyKeyword("TicketStatus")
	// ImportStateKey is an ImportWorkflow's state: running, completed, failed or cancelled.
	ImportStateKey = temporal.NewSearchAttributeKeyKeyword("ImportState")
)

// SearchAttributes lists every custom search attribute routedesk needs registered on its namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{
		ChannelTypeKey, ChannelIDKey, AccountIDKey, TicketIDKey, AssigneeIDKey, RoutingStateKey, ReplyWindowKey, ImportStateKey,
		TicketStatusKey,
	} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	out[WaitingSinceKey.GetName()] = enumspb.INDEXED_VALUE_TYPE_DATETIME
	out[SlaDueAtKey.GetName()] = enumspb.INDEXED_VALUE_TYPE_DATETIME
	out[SlaBreachedKey.GetName()] = enumspb.INDEXED_VALUE_TYPE_BOOL
	return out
}

// MaxWorkflowIDBytes is the longest workflow id Temporal accepts by default (limit.maxIDLength).
const MaxWorkflowIDBytes = 1000

// conversationIDKeyInfo separates the workflow-id key from every other key derived from ROUTEDESK_SECRET_KEY.
const conversationIDKeyInfo = "routedesk conversation workflow id v1"

// conversationIDHashBytes is how much of the HMAC a workflow id keeps (128 bits).
const conversationIDHashBytes = 16

// ConversationIDs names conversation workflows by a keyed hash of their thread
// key, so no email address, phone number, PSID or Message-ID is readable in
// Temporal. The key is derived (HKDF-SHA256) from ROUTEDESK_SECRET_KEY, so every
// server computes the same id; PostgreSQL keeps the id a conversation was given
// (conversations.workflow_id), so a new key only changes new conversations' ids.
type ConversationIDs struct{ key []byte }

// NewConversationIDs derives the workflow-id key from secret (ROUTEDESK_SECRET_KEY, at least 32 bytes).
func NewConversationIDs(secret []byte) (ConversationIDs, error) {
	if len(secret) < 32 {
		return ConversationIDs{}, fmt.Errorf("conversation workflow ids: secret is %d bytes, want at least 32", len(secret))
	}
	key, err := hkdf.Key(sha256.New, secret, nil, conversationIDKeyInfo, 32)
	if err != nil {
		return ConversationIDs{}, fmt.Errorf("conversation workflow ids: derive key: %w", err)
	}
	return ConversationIDs{key: key}, nil
}

// ID is the workflow id of a new conversation on a channel's thread:
// "conv:<channel id>:<hash>", hash being the first 128 bits of
// HMAC-SHA256(key, channel id NUL thread key) in lower-case hex. It is
// deterministic, printable ASCII and at most 38+len(channelID) bytes.
// It panics on a ConversationIDs not made by NewConversationIDs: an unkeyed
// hash of an email address could be reversed by guessing.
func (c ConversationIDs) ID(channelID, threadKey string) string {
	if len(c.key) == 0 {
		panic("workflows: ConversationIDs used without a key; build it with NewConversationIDs")
	}
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(channelID))
	mac.Write([]byte{0})
	mac.Write([]byte(threadKey))
	return ConversationIDPrefix + channelID + ":" + hex.EncodeToString(mac.Sum(nil)[:conversationIDHashBytes])
}

// ConversationIDPrefix starts every conversation workflow id (keyed or from before the keyed hash).
const ConversationIDPrefix = "conv:"

// TicketWorkflowID is the workflow id of a ticket without a channel (POST /v1/tickets
// without channel_id): "ticket:<ticket id>". That workflow routes the ticket and takes
// agents' actions until a reply through a channel gives the ticket a conversation.
func TicketWorkflowID(ticketID string) string {
	return "ticket:" + ticketID
}

// ValidWorkflowID reports whether Temporal accepts id: non-empty printable ASCII of at most MaxWorkflowIDBytes.
func ValidWorkflowID(id string) bool {
	if id == "" || len(id) > MaxWorkflowIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7E {
			return false
		}
	}
	return true
}

// Assignment signal and agent-action updates of the conversation workflow.
const (
	// SignalTicketAttached tells a ticket's own workflow (TicketWorkflowID) that a reply
	// gave the ticket a conversation on a channel (TicketAttached): it completes, naming it.
	SignalTicketAttached = "ticket-attached"
	// SignalAgentAssigned tells a waiting conversation that a dispatch gave it an agent (AgentAssigned).
	SignalAgentAssigned = "agent-assigned"
	// SignalAssigneeRemoved tells a conversation that its agent's user was deleted (AssigneeRemoved).
	SignalAssigneeRemoved = "assignee-removed"
	// UpdateReply sends an agent's reply (ReplyRequest → ReplyResult).
	UpdateReply = "reply"
	// UpdateChange changes a ticket's status or assignee (ChangeRequest → ChangeResult).
	UpdateChange = "change"
)
