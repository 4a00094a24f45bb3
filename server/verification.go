package server

import (
	"context"
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

// proofLimits bound the verification codes of one channel: valid 24 h, one send a minute and
// five a day, five wrong tries per code.
var proofLimits = store.VerificationLimits{TTL: 24 * time.Hour, MinInterval: time.Minute, MaxSends: 5, Window: 24 * time.Hour, MaxAttempts: 5}

// verifyRequest is the body of POST /v1/channels/{id}/verify.
type verifyRequest struct {
	// Code is the code of the verification mail, dashes optional.
	Code string `json:"code" validate:"required,max=64"`
}

// prover returns the channel type's Prover, if it proves identities.
func (s *Server) prover(typ string) (channels.Prover, bool) {
	impl, ok := s.channels.Lookup(channels.Type(typ))
	if !ok {
		return nil, false
	}
	p, ok := impl.(channels.Prover)
	return p, ok
}

// proofMode is ChannelWrite.Proof for a channel type on this install.
func (s *Server) proofMode(typ string) string {
	p, ok := s.prover(typ)
	switch {
	case !ok:
		return ""
	case p.ProofRequired():
		return store.ProofRequired
	default:
		return store.ProofAuto
	}
}

// claimError names the config field of a refused claim (a *domain.ClaimConflict from the store).
func (s *Server) claimError(err error, typ string) error {
	var claim *domain.ClaimConflict
	if !errors.As(err, &claim) || claim.Field != "" {
		return err
	}
	claim.Field = "config"
	if impl, ok := s.channels.Lookup(channels.Type(typ)); ok {
		if f := channels.ExternalKeyField(impl.NewConfig()); f != "" {
			claim.Field = f
		}
	}
	return err
}

// startProof issues a new code for a pending_verification channel and mails it; a failed send is
// recorded on the verification (GET /v1/channels/{id}/verification shows it), never fails the change.
// strict (the resend route) answers the rate limit as an error; a channel change records it instead.
func (s *Server) startProof(ctx context.Context, ch domain.Channel, strict bool) error {
	if ch.Status != domain.ChannelPendingVerification {
		return nil
	}
	p, ok := s.prover(ch.Type)
	if !ok {
		return nil
	}
	code := channels.NewProofCode()
	if err := s.store.IssueVerification(ctx, ch.AccountID, ch.ID, channels.NormalizeProofCode(code), proofLimits); err != nil {
		var limited *domain.RateLimited
		if !strict && errors.As(err, &limited) {
			return s.store.RecordVerificationSend(ctx, ch.ID, "no code sent: "+limited.Message)
		}
		return err
	}
	cfg, err := channelHost{s}.Config(ctx, ch)
	if err != nil {
		return err
	}
	failure := ""
	if err := p.SendProof(ctx, ch, cfg, code); err != nil {
		failure = err.Error()
		s.log.WarnContext(ctx, "verification mail not sent", "channel_id", ch.ID, "error", err)
	}
	return s.store.RecordVerificationSend(context.WithoutCancel(ctx), ch.ID, failure)
}

// resendVerification mails a new code to a pending_verification channel (the old one stops working).
func (s *Server) resendVerification(c *gin.Context) {
	ctx := c.Request.Context()
	p := principal(c)
	ch, err := s.store.Channel(ctx, p.AccountID, c.Param("id"))
	if err == nil && ch.Status != domain.ChannelPendingVerification {
		err = fmt.Errorf("channel %s is %s; only a pending_verification channel is sent a code: %w", ch.ID, ch.Status, domain.ErrConflict)
	}
	if err == nil {
		err = s.startProof(ctx, ch, true)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.store.ChannelVerification(ctx, p.AccountID, ch.ID, proofLimits.MaxAttempts)
	s.respond(c, http.StatusAccepted, v, err)
}

// getVerification shows a channel's proof state: its status, the code's expiry, the last send and its error.
func (s *Server) getVerification(c *gin.Context) {
	v, err := s.store.ChannelVerification(c.Request.Context(), principal(c).AccountID, c.Param("id"), proofLimits.MaxAttempts)
	s.respond(c, http.StatusOK, v, err)
}

// verifyChannel takes the mailed code: the channel becomes connected and receives its address's mail.
func (s *Server) verifyChannel(c *gin.Context) {
	cur, err := s.store.Channel(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var req verifyRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ch, err := s.store.ProveChannel(c.Request.Context(), principal(c).AccountID, c.Param("id"),
		channels.NormalizeProofCode(req.Code), "code", proofLimits.MaxAttempts)
	if err != nil {
		s.fail(c, s.claimError(err, cur.Type))
		return
	}
	s.backfillOnConnect(c.Request.Context(), ch)
	c.JSON(http.StatusOK, ch)
}

// verifyLink is the link of the verification mail, opened in a browser without a token: the
// code (80 random bits, five tries) is the credential. It answers plain text for a person.
func (s *Server) verifyLink(c *gin.Context) {
	code := c.Query("code")
	if code == "" || len(code) > 64 {
		s.fail(c, domain.Invalid("code", "is required: open the link of the verification mail as it is"))
		return
	}
	ch, err := s.store.ProveChannel(c.Request.Context(), "", c.Param("id"), channels.NormalizeProofCode(code), "link", proofLimits.MaxAttempts)
	if err != nil {
		s.fail(c, s.claimError(err, "email"))
		return
	}
	s.backfillOnConnect(c.Request.Context(), ch)
	c.Header("X-Content-Type-Options", "nosniff")
	c.String(http.StatusOK, "Confirmed: the help desk channel %q now receives this address's mail. You can close this page.\n", ch.Name)
}
