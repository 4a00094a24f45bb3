// Package workflows holds routedesk's deterministic workflow code: the
// ConversationWorkflow that turns one inbound conversation into a routed
// ticket, with the names, signals, queries and search attributes it exposes.
package workflows

import (
	"crypto/sha256"
	"encoding/hex"

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

// Search attributes the conversation workflow keeps current, for the Temporal UI and CLI.
var (
	ChannelTypeKey  = temporal.NewSearchAttributeKeyKeyword("ChannelType")
	ChannelIDKey    = temporal.NewSearchAttributeKeyKeyword("ChannelId")
	AccountIDKey    = temporal.NewSearchAttributeKeyKeyword("AccountId")
	TicketIDKey     = temporal.NewSearchAttributeKeyKeyword("TicketId")
	AssigneeIDKey   = temporal.NewSearchAttributeKeyKeyword("AssigneeId")
	RoutingStateKey = temporal.NewSearchAttributeKeyKeyword("RoutingState")
	ReplyWindowKey  = temporal.NewSearchAttributeKeyKeyword("ReplyWindow")
)

// SearchAttributes lists every custom search attribute routedesk needs registered on its namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{
		ChannelTypeKey, ChannelIDKey, AccountIDKey, TicketIDKey, AssigneeIDKey, RoutingStateKey, ReplyWindowKey,
	} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}

// maxThreadKeyInID is the longest thread key used verbatim in a workflow id.
const maxThreadKeyInID = 200

// ConversationWorkflowID is the stable workflow id of a channel's thread:
// "conv:<channel id>:<thread key>", with an over-long thread key replaced by its SHA-256.
func ConversationWorkflowID(channelID, threadKey string) string {
	if len(threadKey) > maxThreadKeyInID {
		sum := sha256.Sum256([]byte(threadKey))
		threadKey = "sha256-" + hex.EncodeToString(sum[:])
	}
	return "conv:" + channelID + ":" + threadKey
}

// Assignment signal and agent-action updates of the conversation workflow.
const (
	// SignalAgentAssigned tells a waiting conversation that a dispatch gave it an agent (AgentAssigned).
	SignalAgentAssigned = "agent-assigned"
	// UpdateReply sends an agent's reply (ReplyRequest → ReplyResult).
	UpdateReply = "reply"
	// UpdateChange changes a ticket's status or assignee (ChangeRequest → ChangeResult).
	UpdateChange = "change"
)
