package domain

import (
	"slices"
	"strings"
	"time"
)

// The ticket lifecycle's statuses (docs/tickets.md, Lifecycle).
const (
	TicketStatusOpen    = "open"
	TicketStatusPending = "pending"
	TicketStatusOnHold  = "on_hold"
	TicketStatusSolved  = "solved"
)

// TicketStatuses is the status vocabulary, in lifecycle order.
var TicketStatuses = []string{TicketStatusNew, TicketStatusOpen, TicketStatusPending, TicketStatusOnHold, TicketStatusSolved, TicketStatusClosed}

// DefaultSolvedCloseAfter is how long a solved ticket stays solved before it closes, unless its account says otherwise.
const DefaultSolvedCloseAfter = 4 * 24 * time.Hour

// ticketTransitions are the statuses an agent may move a ticket to from each status;
// closed is final (a customer's new message opens a follow-up ticket).
var ticketTransitions = map[string][]string{
	TicketStatusNew:     {TicketStatusOpen, TicketStatusPending, TicketStatusOnHold, TicketStatusSolved, TicketStatusClosed},
	TicketStatusOpen:    {TicketStatusPending, TicketStatusOnHold, TicketStatusSolved, TicketStatusClosed},
	TicketStatusPending: {TicketStatusOpen, TicketStatusOnHold, TicketStatusSolved, TicketStatusClosed},
	TicketStatusOnHold:  {TicketStatusOpen, TicketStatusPending, TicketStatusSolved, TicketStatusClosed},
	TicketStatusSolved:  {TicketStatusOpen, TicketStatusClosed},
	TicketStatusClosed:  {},
}

// ValidTicketStatus reports whether s is in the status vocabulary.
func ValidTicketStatus(s string) bool { return slices.Contains(TicketStatuses, s) }

// TicketStatusesText lists the vocabulary for error messages: "new, open, …".
func TicketStatusesText() string { return strings.Join(TicketStatuses, ", ") }

// NextTicketStatuses are the statuses a ticket in status from may be moved to (besides staying).
func NextTicketStatuses(from string) []string { return ticketTransitions[from] }

// CanMoveTicket reports whether a ticket may go from one status to another; staying is always allowed.
func CanMoveTicket(from, to string) bool {
	return from == to || slices.Contains(ticketTransitions[from], to)
}

// HoldsCapacity reports whether a ticket in this status counts against its assignee's capacity:
// every status but solved and closed.
func HoldsCapacity(status string) bool {
	return status != TicketStatusSolved && status != TicketStatusClosed
}

// ReopensOnCustomerMessage reports whether a customer's message moves a ticket in this status back to open.
func ReopensOnCustomerMessage(status string) bool {
	return status == TicketStatusPending || status == TicketStatusSolved
}

// LegacyTicketStatus maps a status from before the vocabulary (stored data, imports) into it:
// known words to their status, anything else to open. Migration 00200 applies the same mapping.
func LegacyTicketStatus(s string) string {
	v := strings.ToLower(strings.TrimSpace(s))
	switch {
	case ValidTicketStatus(v):
		return v
	case v == "resolved" || v == "done":
		return TicketStatusSolved
	case v == "waiting" || v == "waiting_on_customer":
		return TicketStatusPending
	case v == "hold" || v == "on-hold" || v == "on hold":
		return TicketStatusOnHold
	case v == "":
		return TicketStatusNew
	}
	return TicketStatusOpen
}
