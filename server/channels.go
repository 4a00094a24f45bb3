package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// channelRequest is the body of POST /v1/channels.
type channelRequest struct {
	// Type is checked against the registry's channel types.
	Type           string                 `json:"type" validate:"required"`
	Name           string                 `json:"name" validate:"required,max=200"`
	Config         json.RawMessage        `json:"config"`
	TicketDefaults *domain.TicketDefaults `json:"ticket_defaults"`
	Routing        *domain.Routing        `json:"routing"`
}

// channelPatch is the body of PATCH /v1/channels/{id}: each present member is
// merged into the channel as a JSON merge patch (RFC 7396); a secret given as
// "***" keeps its stored value; null removes an optional field. status
// connects or disconnects the channel.
type channelPatch struct {
	Status         *string         `json:"status" validate:"omitempty,oneof=connected disconnected"`
	Name           *string         `json:"name" validate:"omitempty,min=1,max=200"`
	Config         json.RawMessage `json:"config"`
	TicketDefaults json.RawMessage `json:"ticket_defaults"`
	Routing        json.RawMessage `json:"routing"`
}

func (s *Server) createChannel(c *gin.Context) {
	p := principal(c)
	var req channelRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	typ := channels.Type(req.Type)
	ch, ok := s.channels.Lookup(typ)
	if !ok {
		s.fail(c, domain.Invalid("type", "must be one of: "+s.channelTypeList()))
		return
	}
	if !channels.TierAllows(p.Tier, ch.TierRequired()) {
		s.fail(c, fmt.Errorf("%s channels need the %s tier or higher; this account is on %s: %w",
			req.Type, ch.TierRequired(), p.Tier, domain.ErrForbidden))
		return
	}
	w, err := s.channelWrite(c.Request.Context(), p.AccountID, typ, req.Name, req.Config, req.TicketDefaults, req.Routing)
	if err != nil {
		s.fail(c, err)
		return
	}
	created, err := s.store.CreateChannel(c.Request.Context(), p.AccountID, w)
	if err != nil {
		s.fail(c, s.claimError(err, w.Type))
		return
	}
	if err := s.startProof(c.Request.Context(), created, false); err != nil {
		s.fail(c, err)
		return
	}
	s.syncChannel(c.Request.Context(), created)
	s.backfillOnConnect(c.Request.Context(), created)
	c.JSON(http.StatusCreated, created)
}

// channelWrite validates a channel's parts and prepares them for the store.
func (s *Server) channelWrite(ctx context.Context, accountID string, typ channels.Type, name string, raw json.RawMessage,
	defaults *domain.TicketDefaults, routing *domain.Routing) (store.ChannelWrite, error) {
	cfg, err := s.channels.Decode(typ, raw)
	if err != nil {
		return store.ChannelWrite{}, err
	}
	return s.channelWriteFrom(ctx, accountID, name, cfg, defaults, routing)
}

func (s *Server) channelWriteFrom(ctx context.Context, accountID, name string, cfg channels.Config,
	defaults *domain.TicketDefaults, routing *domain.Routing) (store.ChannelWrite, error) {
	w := store.ChannelWrite{Type: string(cfg.Type()), Name: name, ExternalKey: channels.ExternalKey(cfg), Proof: s.proofMode(string(cfg.Type()))}
	full, err := json.Marshal(cfg)
	if err != nil {
		return w, fmt.Errorf("encode channel config: %w", err)
	}
	w.Full, w.Redacted = full, channels.Redacted(cfg)
	if defaults != nil {
		w.TicketDefaults = *defaults
	}
	w.TicketDefaults = w.TicketDefaults.WithDefaults()
	if routing != nil {
		w.Routing = *routing
	}
	w.Routing = w.Routing.WithDefaults()
	if err := s.checkRouting(ctx, accountID, w.Routing); err != nil {
		return w, err
	}
	return w, s.checkReplyChannel(ctx, accountID, cfg)
}

// checkRouting enforces the routing rules that need the account's users and teams.
func (s *Server) checkRouting(ctx context.Context, accountID string, r domain.Routing) error {
	invalid := &domain.ValidationError{}
	add := func(field, msg string) {
		invalid.Errors = append(invalid.Errors, domain.FieldError{Field: field, Message: msg})
	}
	switch r.AssignTo {
	case domain.AssignNone, domain.AssignContactOwner:
		if len(r.Users) > 0 {
			add("routing.users", "must be empty when assign_to is "+r.AssignTo)
		}
		if len(r.Teams) > 0 {
			add("routing.teams", "must be empty when assign_to is "+r.AssignTo)
		}
	case domain.AssignUsersAndTeams:
		if len(r.Users)+len(r.Teams) == 0 {
			add("routing.users", "name at least one user or team when assign_to is users_and_teams")
		}
	}
	if len(r.Users) > 0 {
		users, err := s.store.RoutingUsers(ctx, accountID, r.Users)
		if err != nil {
			return err
		}
		for i, id := range r.Users {
			u, ok := users[id]
			switch {
			case !ok:
				add(fmt.Sprintf("routing.users[%d]", i), "user "+id+" does not exist in this account")
			case !u.HasProfile:
				add(fmt.Sprintf("routing.users[%d]", i), "user "+id+" has no service profile (has_profile is false), so tickets cannot be assigned to them")
			}
		}
	}
	if len(r.Teams) > 0 {
		teams, err := s.store.RoutingTeams(ctx, accountID, r.Teams)
		if err != nil {
			return err
		}
		for i, id := range r.Teams {
			if !teams[id] {
				add(fmt.Sprintf("routing.teams[%d]", i), "team "+id+" does not exist in this account")
			}
		}
	}
	if len(invalid.Errors) > 0 {
		return invalid
	}
	return nil
}

func (s *Server) getChannel(c *gin.Context) {
	ctx := c.Request.Context()
	accountID := principal(c).AccountID
	ch, err := s.store.Channel(ctx, accountID, c.Param("id"))
	if err == nil {
		chans := []domain.Channel{ch}
		err = s.store.ChannelHealth(ctx, accountID, chans)
		ch = chans[0]
	}
	s.respond(c, http.StatusOK, ch, err)
}

func (s *Server) listChannels(c *gin.Context) {
	listPage(s, c, func(ctx context.Context, accountID string, page store.Page) ([]domain.Channel, error) {
		chans, err := s.store.ListChannels(ctx, accountID, page)
		if err != nil {
			return nil, err
		}
		return chans, s.store.ChannelHealth(ctx, accountID, chans)
	}, func(ch domain.Channel) string { return ch.ID })
}

func (s *Server) patchChannel(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	var req channelPatch
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ch, err := s.store.Channel(ctx, p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.Status != nil && req.Name == nil && len(req.Config) == 0 && len(req.TicketDefaults) == 0 && len(req.Routing) == 0 {
		// Only (re)connecting or disconnecting: the configuration and its version stay.
		updated, err := s.store.SetChannelStatus(ctx, p.AccountID, ch.ID, *req.Status, s.proofMode(ch.Type))
		if err != nil {
			s.fail(c, s.claimError(err, ch.Type))
			return
		}
		if ch.Status != domain.ChannelPendingVerification {
			if err := s.startProof(ctx, updated, false); err != nil {
				s.fail(c, err)
				return
			}
		}
		if updated.Status == domain.ChannelConnected && ch.Status != domain.ChannelConnected {
			s.syncChannel(ctx, updated)
			s.backfillOnConnect(ctx, updated)
		}
		if updated.Status == domain.ChannelDisconnected {
			updated, err = s.detachChannel(ctx, updated)
		}
		s.respond(c, http.StatusOK, updated, err)
		return
	}
	name := ch.Name
	if req.Name != nil {
		name = *req.Name
	}
	current, err := s.store.ChannelConfig(ctx, p.AccountID, ch.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	patch := req.Config
	if len(patch) == 0 {
		patch = json.RawMessage(`{}`)
	}
	cfg, err := s.channels.Merge(channels.Type(ch.Type), current, patch)
	if err != nil {
		s.fail(c, err)
		return
	}
	defaults := ch.TicketDefaults
	if err := mergeInto(&defaults, req.TicketDefaults, "ticket_defaults"); err != nil {
		s.fail(c, err)
		return
	}
	routing := ch.Routing
	if err := mergeInto(&routing, req.Routing, "routing"); err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.channelWriteFrom(ctx, p.AccountID, name, cfg, &defaults, &routing)
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.Status != nil {
		w.Status = *req.Status
	}
	updated, err := s.store.UpdateChannel(ctx, p.AccountID, ch.ID, w)
	if err != nil {
		s.fail(c, s.claimError(err, w.Type))
		return
	}
	if ch.Status != domain.ChannelPendingVerification || s.keyOf(ch.Type, current) != w.ExternalKey {
		if err := s.startProof(ctx, updated, false); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.syncChannel(ctx, updated)
	s.backfillOnConnect(ctx, updated)
	if updated.Status == domain.ChannelDisconnected {
		updated, err = s.detachChannel(ctx, updated)
	}
	s.respond(c, http.StatusOK, updated, err)
}

// keyOf returns the identity a stored configuration claims ("" when it has none or does not decode).
func (s *Server) keyOf(typ string, raw json.RawMessage) string {
	impl, ok := s.channels.Lookup(channels.Type(typ))
	if !ok {
		return ""
	}
	cfg, err := channels.Decode(impl.NewConfig(), raw)
	if err != nil {
		return ""
	}
	return channels.ExternalKey(cfg)
}

// deleteChannel disconnects a channel: its history (conversations, tickets,
// messages, rules) stays readable and PATCH {"status": "connected"} brings it
// back. Only a channel nothing ever came in on is removed for good.
func (s *Server) deleteChannel(c *gin.Context) {
	ctx := c.Request.Context()
	accountID := principal(c).AccountID
	removed, err := s.store.DeleteChannel(ctx, accountID, c.Param("id"))
	if err == nil && !removed {
		var ch domain.Channel
		if ch, err = s.store.Channel(ctx, accountID, c.Param("id")); err == nil {
			_, err = s.detachChannel(ctx, ch)
		}
	}
	s.respond(c, http.StatusNoContent, nil, err)
}

// detachChannel drops from a disconnected channel's configuration what only a connected one
// keeps (channels.Detacher: a form's ticket fields) and returns the channel as it is then.
func (s *Server) detachChannel(ctx context.Context, ch domain.Channel) (domain.Channel, error) {
	impl, ok := s.channels.Lookup(channels.Type(ch.Type))
	d, detaches := impl.(channels.Detacher)
	if !ok || !detaches {
		return ch, nil
	}
	raw, err := s.store.ChannelConfig(ctx, ch.AccountID, ch.ID)
	if err != nil {
		return ch, err
	}
	cfg, err := channels.Decode(impl.NewConfig(), raw)
	if err != nil {
		return ch, fmt.Errorf("decode the config of %s: %w", ch.ID, err)
	}
	detached := d.Detach(cfg)
	full, err := json.Marshal(detached)
	if err != nil {
		return ch, fmt.Errorf("encode channel config: %w", err)
	}
	if string(full) == string(raw) {
		return ch, nil
	}
	return s.store.SetChannelConfig(ctx, ch.AccountID, ch.ID, full, channels.Redacted(detached))
}

// connectedChannel is the channel of an inbound route: 404 when the account
// has none of that id, 410 when it is disconnected. Every inbound route
// (messages, and the channel routes to come) looks its channel up here.
func (s *Server) connectedChannel(ctx context.Context, accountID, id string) (domain.Channel, error) {
	ch, err := s.store.ConnectedChannel(ctx, accountID, id)
	if errors.Is(err, domain.ErrChannelDisconnected) {
		return ch, &channelGoneError{ch: ch}
	}
	return ch, err
}

// checkReplyable refuses (409) a reply on a ticket whose channel is disconnected:
// nothing may go out on it until it is reconnected.
func (s *Server) checkReplyable(ctx context.Context, accountID, channelID string) error {
	ch, err := s.store.Channel(ctx, accountID, channelID)
	if err != nil {
		return err
	}
	if ch.Status == domain.ChannelDisconnected {
		since := ""
		if ch.DisconnectedAt != nil {
			since = " on " + ch.DisconnectedAt.UTC().Format(time.RFC3339)
		}
		return fmt.Errorf("the ticket's channel %q was disconnected%s; no reply can go out on it until an admin reconnects it: %w",
			ch.Name, since, domain.ErrConflict)
	}
	return nil
}
