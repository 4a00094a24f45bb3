package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// Bulk action bounds: how many tickets one request changes, how many at a time, and how long it may take.
const (
	maxBulkTickets  = 100
	bulkParallelism = 4
	bulkTimeout     = 2 * time.Minute
)

// bulkRequest is the body of POST /v1/tickets/bulk: the tickets and the change, a PATCH /v1/tickets/{id} body.
type bulkRequest struct {
	IDs    []string        `json:"ids"`
	Change json.RawMessage `json:"change"`
}

// bulkResult is each ticket's outcome, in the order of ids.
type bulkResult struct {
	Items []bulkItem `json:"items"`
}

// bulkItem is one ticket's outcome: the status PATCH /v1/tickets/{id} answered, the ticket after
// (on 200) or the problem's detail and field errors.
type bulkItem struct {
	ID     string              `json:"id"`
	Status int                 `json:"status"`
	Ticket json.RawMessage     `json:"ticket,omitempty"`
	Detail string              `json:"detail,omitempty"`
	Errors []domain.FieldError `json:"errors,omitempty"`
}

// bulkVia is the audit trail's via for a bulk action's changes.
const bulkVia = "POST /v1/tickets/bulk"

// bulkTickets applies one change to up to maxBulkTickets tickets, each through PATCH /v1/tickets/{id} as the
// caller (its validation, lifecycle, capacity and workflow), and answers each ticket's outcome.
func (s *Server) bulkTickets(c *gin.Context) {
	var req bulkRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := checkBulk(req); err != nil {
		s.fail(c, err)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), bulkTimeout)
	defer cancel()
	out := bulkResult{Items: make([]bulkItem, len(req.IDs))}
	sem := make(chan struct{}, bulkParallelism)
	var wg sync.WaitGroup
	for i, id := range req.IDs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			code, body := s.patchTicketVia(ctx, c, id, bulkVia, req.Change)
			out.Items[i] = bulkOutcome(id, code, body)
		}()
	}
	wg.Wait()
	c.JSON(http.StatusOK, out)
}

// checkBulk answers 422 for a request no item could succeed with: no or too many or repeated ids, or a change
// PATCH /v1/tickets/{id} refuses whatever the ticket (named change.<field>).
func checkBulk(req bulkRequest) error {
	if len(req.IDs) == 0 {
		return domain.Invalid("ids", "give the ids of the tickets to change")
	}
	if len(req.IDs) > maxBulkTickets {
		return domain.Invalid("ids", fmt.Sprintf("at most %d tickets at once; this request has %d", maxBulkTickets, len(req.IDs)))
	}
	seen := map[string]bool{}
	for i, id := range req.IDs {
		switch {
		case id == "" || len(id) > 100:
			return domain.Invalid(fmt.Sprintf("ids[%d]", i), "must be a ticket id")
		case seen[id]:
			return domain.Invalid(fmt.Sprintf("ids[%d]", i), "appears more than once")
		}
		seen[id] = true
	}
	if len(req.Change) == 0 || string(req.Change) == "null" {
		return domain.Invalid("change", "give the change: a PATCH /v1/tickets/{id} body")
	}
	var patch ticketPatch
	if err := httpx.UnmarshalStrict(req.Change, &patch); err != nil {
		return prefixFields(err, "change")
	}
	if err := httpx.ValidateStruct(&patch); err != nil {
		return prefixFields(err, "change")
	}
	if _, err := ticketEditOf(patch, "", ""); err != nil {
		return prefixFields(err, "change")
	}
	return nil
}

// bulkOutcome reads one PATCH's answer.
func bulkOutcome(id string, code int, body []byte) bulkItem {
	it := bulkItem{ID: id, Status: code}
	if code < 300 {
		it.Ticket = json.RawMessage(body)
		return it
	}
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil {
		it.Detail = "the ticket's change answered " + http.StatusText(code)
		return it
	}
	it.Detail, it.Errors = p.Detail, p.Errors
	return it
}
