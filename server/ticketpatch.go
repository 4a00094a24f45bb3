package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// ticketPatch is the body of PATCH /v1/tickets/{id}: each field present changes the ticket, absent ones stay.
// assignee, when present, replaces both the user and the team; null members unassign. tags replaces the
// tags, add_tags and remove_tags then add and remove some; properties is a JSON merge patch of the
// ticket's custom properties (null removes a key).
type ticketPatch struct {
	Status     *string         `json:"status" validate:"omitempty,oneof=new open pending on_hold solved closed"`
	Assignee   *assigneePatch  `json:"assignee"`
	Priority   *string         `json:"priority"`
	Tags       *[]string       `json:"tags"`
	AddTags    []string        `json:"add_tags"`
	RemoveTags []string        `json:"remove_tags"`
	Properties json.RawMessage `json:"properties"`
}

type assigneePatch struct {
	UserID *string `json:"user_id" validate:"omitempty,max=100"`
	TeamID *string `json:"team_id" validate:"omitempty,max=100"`
}

// patchVia is the audit trail's via for a change made through PATCH /v1/tickets/{id}.
const patchVia = "PATCH /v1/tickets/{id}"

// viaKey carries the via of an in-process PATCH (a bulk action's) on its request's context; clients cannot set it.
type viaKey struct{}

func (s *Server) patchTicket(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	var req ticketPatch
	t, ok := s.ticketAndBody(c, &req)
	if !ok {
		return
	}
	via, _ := ctx.Value(viaKey{}).(string)
	if via == "" {
		via = patchVia
	}
	edit, err := ticketEditOf(req, p.UserID, via)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := checkStatusMove(t, req.Status); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.checkAssignee(ctx, p.AccountID, req.Assignee); err != nil {
		s.fail(c, err)
		return
	}
	change := workflows.ChangeRequest{Status: req.Status, ActorUserID: p.UserID, Via: via}
	if req.Assignee != nil {
		user, team := "", ""
		if req.Assignee.UserID != nil {
			user = *req.Assignee.UserID
		}
		if req.Assignee.TeamID != nil {
			team = *req.Assignee.TeamID
		}
		change.AssignUser, change.AssignTeam = &user, &team
	}
	if change.Status == nil && change.AssignUser == nil && edit.Empty() {
		s.fail(c, domain.Invalid("body", "give status, assignee, priority, tags, add_tags, remove_tags or properties"))
		return
	}
	// The status and assignee first: they are what may be refused (409: the lifecycle, capacity), and
	// a refused change then leaves the other fields as they were.
	if change.Status != nil || change.AssignUser != nil {
		var res workflows.ChangeResult
		if err := s.updateTicketWorkflow(ctx, p.AccountID, t, workflows.UpdateChange, change, &res); err != nil {
			s.failAction(c, err)
			return
		}
	}
	if !edit.Empty() {
		if _, err := s.store.EditTicket(ctx, p.AccountID, t.ID, edit); err != nil {
			s.fail(c, err)
			return
		}
		if edit.Priority != nil && *edit.Priority != t.Priority {
			s.recheckSLA(ctx, t)
		}
	}
	t, err = s.store.Ticket(ctx, p.AccountID, t.ID)
	s.respond(c, http.StatusOK, t, err)
}

// ticketEditOf checks a patch's priority, tags and properties and makes the store's edit of them.
func ticketEditOf(req ticketPatch, actor, via string) (store.TicketEdit, error) {
	e := store.TicketEdit{ActorUserID: actor, Via: via}
	if req.Priority != nil {
		if !domain.ValidTicketPriority(*req.Priority) {
			return e, domain.Invalid("priority", "must be one of: "+domain.TicketPrioritiesText())
		}
		e.Priority = req.Priority
	}
	if req.Tags != nil {
		if len(*req.Tags) > domain.MaxTicketTags {
			return e, domain.Invalid("tags", "a ticket has at most 50 tags")
		}
		tags, err := domain.NormalizeTags("tags", *req.Tags)
		if err != nil {
			return e, err
		}
		e.Tags = &tags
	}
	var err error
	if e.AddTags, err = boundedTags("add_tags", req.AddTags); err != nil {
		return e, err
	}
	if e.RemoveTags, err = boundedTags("remove_tags", req.RemoveTags); err != nil {
		return e, err
	}
	if len(req.Properties) > 0 && string(req.Properties) != "null" {
		patch := req.Properties
		if _, err := mergePatchJSON([]byte("{}"), patch); errors.Is(err, errPatchNotObject) {
			return e, domain.Invalid("properties", "must be a JSON object (a merge patch: null removes a key)")
		}
		e.MergeProperties = func(current []byte) ([]byte, error) { return mergeProperties(current, patch) }
	}
	return e, nil
}

// boundedTags normalizes a list of tags to add or remove (at most domain.MaxTicketTags).
func boundedTags(field string, tags []string) ([]string, error) {
	if len(tags) > domain.MaxTicketTags {
		return nil, domain.Invalid(field, "takes at most 50 tags")
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return domain.NormalizeTags(field, tags)
}

// mergeProperties applies a merge patch to a ticket's properties; the result keeps within an API
// body's bounds (httpx.DefaultLimits' keys and depth, 1 MiB), so the ticket can still be read and sent back.
func mergeProperties(current, patch []byte) ([]byte, error) {
	if len(current) == 0 {
		current = []byte("{}")
	}
	merged, err := mergePatchJSON(current, patch)
	if err != nil {
		return nil, err
	}
	if len(merged) > maxPropertiesBytes {
		return nil, domain.Invalid("properties", "the ticket's properties would exceed 1 MiB of JSON")
	}
	if err := httpx.CheckJSONText(merged, httpx.DefaultLimits); err != nil {
		var many *httpx.TooManyKeysError
		if errors.As(err, &many) {
			return nil, domain.Invalid("properties", fmt.Sprintf("the ticket's properties would hold more than %d keys", httpx.DefaultLimits.Keys))
		}
		return nil, prefixFields(err, "properties")
	}
	return merged, nil
}

// maxPropertiesBytes bounds a ticket's custom properties, as JSON.
const maxPropertiesBytes = 1 << 20

// patchTicketVia runs PATCH /v1/tickets/{id} in process as the caller, its audit trail saying via.
func (s *Server) patchTicketVia(ctx context.Context, c *gin.Context, ticketID, via string, body json.RawMessage) (int, []byte) {
	if ctx.Err() != nil { // the bulk action's time is over: this ticket was not tried
		return http.StatusGatewayTimeout, mustJSON(Problem{Status: http.StatusGatewayTimeout, Detail: "not tried: the bulk action ran out of time; the ticket is unchanged"})
	}
	res := s.subrequestCtx(context.WithValue(ctx, viaKey{}, via), c, http.MethodPatch, "/v1/tickets/"+url.PathEscape(ticketID), body)
	return res.Code, res.Body.Bytes()
}

// mustJSON encodes a value that always encodes.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
