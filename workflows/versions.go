package workflows

import "go.temporal.io/sdk/workflow"

// GetVersion change ids of the conversation workflow; Changes is their ledger.
const (
	changeAssignment     = "assignment"
	changeNotifyOwner    = "notify-owner"
	changeReplyWindow    = "reply-window"
	changeWelcome        = "welcome"
	changeCourtesyBeside = "courtesy-beside"
	changeBoundedReply   = "bounded-reply"
	changeDrainBeforeEnd = "drain-before-end"
	changeOpenAtOnce     = "open-at-once"
	changeTicketOnly     = "ticket-only"
	changeOpsView        = "ops-view"
	changeDurableReply   = "durable-reply"
	changeLifecycle      = "lifecycle"
	changeSLA            = "sla"
	changeWakeOnClose    = "wake-on-close"
	changeFollowUp       = "follow-up"
	changeCSAT           = "csat"
)

// ChangeEraseHeartbeat is the GetVersion change id of privacy.EraseWorkflow (not a conversation
// change, so outside the ledger below): from version 1 its activities heartbeat and time out 10 s
// after their worker went silent, so an erasure cut by a crash resumes within seconds of the
// restart (before: a step started before the crash waited out its 2-minute start-to-close timeout).
const ChangeEraseHeartbeat = "erase-heartbeat"

// Change is one entry of the ledger of the conversation workflow's GetVersion changes.
type Change struct {
	// ID is the change id; a run that took the new code carries "<ID>-<Version>" in its
	// TemporalChangeVersion search attribute.
	ID      string
	Version workflow.Version
	// Date is the day the change landed on main.
	Date string
	// What the change changed; the old branch is what runs from before it still take.
	What string
	// Scope is a visibility clause naming the runs that can reach the change's code at all
	// ("" for every conversation): a run outside it lacks the marker without predating anything.
	Scope string
	// AtEnd means the code runs only as a run ends or continues as new, so no open run can have
	// passed it under the old code.
	AtEnd bool
	// Retired means the old branch is deleted and the version pinned (GetVersion(id, v, v)):
	// a history from before the change fails to replay with a non-determinism error (TMPRL1100).
	// Its recorded histories are in testdata/retired/<ID>/.
	Retired bool
}

// windowedChannels and welcomeChannels are the channel types whose conversations reach the
// reply-window and welcome code (channels/traits).
const (
	windowedChannels = `ChannelType IN ("messenger", "whatsapp")`
	welcomeChannels  = `ChannelType = "messenger"`
)

// Changes is the ledger, oldest first. README (Operations, Workflow versions) says how a
// change is retired and which rule decides it.
var Changes = []Change{
	{ID: changeAssignment, Version: 1, Date: "2026-11-24",
		What: "tickets are routed by the channel's assignment mode (before: left unassigned by SetRoutingState)"},
	{ID: changeNotifyOwner, Version: 1, Date: "2026-11-24",
		What: "a contact owner who cannot take a ticket is emailed (before: not told)"},
	{ID: changeReplyWindow, Version: 1, Date: "2026-11-24", Scope: windowedChannels,
		What: "Messenger and WhatsApp reply windows on durable timers (before: no window)"},
	{ID: changeWelcome, Version: 1, Date: "2026-11-24", Scope: welcomeChannels,
		What: "a new Messenger conversation gets its instant reply and consent notice (before: none)"},
	{ID: changeCourtesyBeside, Version: 1, Date: "2026-11-26", Scope: welcomeChannels, Retired: true,
		What: "the automated first messages run beside the conversation, bounded (before: awaited)"},
	{ID: changeBoundedReply, Version: 1, Date: "2026-11-26", Retired: true,
		What: "a reply is stored, then sent beside the update with bounded retries (before: one SendReply activity)"},
	{ID: changeDrainBeforeEnd, Version: 1, Date: "2026-11-26", AtEnd: true, Retired: true,
		What: "a message that arrives while the run settles is handled before it ends or continues as new (before: dropped)"},
	{ID: changeOpenAtOnce, Version: 1, Date: "2026-11-26", Retired: true,
		What: "the opening (contact, rules, ticket, route) is one local activity and one upsert (before: four activities)"},
	{ID: changeTicketOnly, Version: 1, Date: "2026-11-26", Scope: `WorkflowId STARTS_WITH "ticket:"`, Retired: true,
		What: "a ticket without a channel is routed by its own workflow (before: such workflows did not exist)"},
	{ID: changeOpsView, Version: 1, Date: "2026-11-26",
		What: "WaitingSince is upserted with the routing state (before: not set)"},
	{ID: changeDurableReply, Version: 1, Date: "2026-12-07",
		What: "a reply is sent by its own DeliveryWorkflow, retried for the channel's period (before: bounded-reply)"},
	{ID: changeLifecycle, Version: 1, Date: "2026-12-07",
		What: "the ticket lifecycle: TicketStatus search attribute, pending/solved reopen on a customer message, solved closes on a durable timer (before: only closed reopened)"},
	{ID: changeSLA, Version: 1, Date: "2026-12-07",
		What: "SLA clocks: the ticket's policy is chosen, warnings and breaches fire on a durable timer, SlaDueAt/SlaBreached are upserted (before: no SLA)"},
	{ID: changeWakeOnClose, Version: 1, Date: "2026-12-07",
		What: "an agent's change that solves the ticket wakes the conversation's loop, so the close timer it armed is waited on (before: it fired only after another event)"},
	{ID: changeFollowUp, Version: 1, Date: "2026-12-07",
		What: "a customer's message on a closed ticket opens a follow-up ticket linked to it, routed with the closed one's agent first (before: the closed ticket reopened)"},
	{ID: changeCSAT, Version: 1, Date: "2026-12-07",
		What: "a solved ticket's satisfaction survey goes out on a durable timer after the account's delay, cancelled by a reopen or an agent's close (before: no survey)"},
}
