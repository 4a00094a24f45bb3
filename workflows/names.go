// Package workflows holds routedesk's deterministic workflow code: the
// ConversationWorkflow that turns one inbound conversation into a routed
// ticket, with the names, signals, queries and search attributes it exposes.
package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

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
	// ImportStateKey is an ImportWorkflow's state: running, completed, failed or cancelled.
	ImportStateKey = temporal.NewSearchAttributeKeyKeyword("ImportState")
)

// SearchAttributes lists every custom search attribute routedesk needs registered on its namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{
		ChannelTypeKey, ChannelIDKey, AccountIDKey, TicketIDKey, AssigneeIDKey, RoutingStateKey, ReplyWindowKey, ImportStateKey,
	} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	out[WaitingSinceKey.GetName()] = enumspb.INDEXED_VALUE_TYPE_DATETIME
	return out
}

// maxThreadKeyInID is the longest encoded thread key used in a workflow id.
const maxThreadKeyInID = 200

// hashedKeyPrefix starts the thread-key part of an id whose encoded key was too long.
const hashedKeyPrefix = "sha256-"

// MaxWorkflowIDBytes is the longest workflow id Temporal accepts by default (limit.maxIDLength).
const MaxWorkflowIDBytes = 1000

// ConversationWorkflowID is the stable workflow id of a channel's thread:
// "conv:<channel id>:<encoded thread key>". The encoding keeps every byte
// from 0x20 to 0x7E except '%' as it is and writes each other byte of the
// key's UTF-8 (and '%' itself) as "%XX" in upper-case hex; a key beginning
// with "sha256-" has its first byte escaped too. An encoded key longer than
// 200 bytes is replaced by "sha256-" and the hex SHA-256 of the raw key. So
// the id is printable ASCII, at most 5+len(channelID)+1+200 bytes,
// deterministic, and distinct keys give distinct ids; keys made only of
// printable ASCII without '%' keep the id they had before the encoding.
func ConversationWorkflowID(channelID, threadKey string) string {
	return "conv:" + channelID + ":" + encodeThreadKey(threadKey)
}

// TicketWorkflowID is the workflow id of a ticket without a channel (POST /v1/tickets
// without channel_id): "ticket:<ticket id>". That workflow routes the ticket and takes
// agents' actions until a reply through a channel gives the ticket a conversation.
func TicketWorkflowID(ticketID string) string {
	return "ticket:" + ticketID
}

// encodeThreadKey is the thread-key part of ConversationWorkflowID.
func encodeThreadKey(key string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		escape := c < 0x20 || c > 0x7E || c == '%' || (i == 0 && strings.HasPrefix(key, hashedKeyPrefix))
		if !escape {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0x0F])
		}
		if b.Len() > maxThreadKeyInID {
			sum := sha256.Sum256([]byte(key))
			return hashedKeyPrefix + hex.EncodeToString(sum[:])
		}
	}
	return b.String()
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
	// SignalAgentAssigned tells a waiting conversation that a dispatch gave it an agent (AgentAssigned).
	SignalAgentAssigned = "agent-assigned"
	// SignalAssigneeRemoved tells a conversation that its agent's user was deleted (AssigneeRemoved).
	SignalAssigneeRemoved = "assignee-removed"
	// UpdateReply sends an agent's reply (ReplyRequest → ReplyResult).
	UpdateReply = "reply"
	// UpdateChange changes a ticket's status or assignee (ChangeRequest → ChangeResult).
	UpdateChange = "change"
)
