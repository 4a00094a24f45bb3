package server

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// contactRequest is the body of POST /v1/contacts; PATCH merges into it.
type contactRequest struct {
	Email       *string        `json:"email" validate:"omitempty,email,max=320"`
	Name        string         `json:"name" validate:"max=200"`
	OwnerUserID *string        `json:"owner_user_id" validate:"omitempty,max=100"`
	Phone       string         `json:"phone" validate:"max=64"`
	Country     string         `json:"country" validate:"omitempty,iso3166_1_alpha2"`
	Language    string         `json:"language" validate:"omitempty,bcp47_language_tag,max=35"`
	Company     string         `json:"company" validate:"max=200"`
	Properties  map[string]any `json:"properties"`
	// ExternalIDs are the contact's user ids on channels; PATCH replaces the list.
	ExternalIDs []externalIDRequest `json:"external_ids" validate:"max=50,dive"`
}

// externalIDRequest is one of a contact's external ids.
type externalIDRequest struct {
	ChannelID      string `json:"channel_id" validate:"required,max=100"`
	ExternalUserID string `json:"external_user_id" validate:"required,max=256"`
}

// write returns what the request stores, its phone number in E.164.
func (r contactRequest) write() (store.ContactWrite, error) {
	w := store.ContactWrite{Email: r.Email, Name: r.Name, OwnerUserID: r.OwnerUserID, Country: strings.ToUpper(r.Country),
		Language: r.Language, Company: r.Company, Properties: r.Properties}
	if r.ExternalIDs != nil {
		w.ExternalIDs = make([]domain.ExternalID, len(r.ExternalIDs))
		for i, e := range r.ExternalIDs {
			w.ExternalIDs[i] = domain.ExternalID{ChannelID: e.ChannelID, ExternalUserID: e.ExternalUserID}
		}
	}
	if strings.TrimSpace(r.Phone) != "" {
		phone, err := channels.NormalizePhone(r.Phone, r.Country)
		if err != nil {
			return w, domain.Invalid("phone", err.Error())
		}
		w.Phone = phone
	}
	return w, nil
}

func (s *Server) createContact(c *gin.Context) {
	var req contactRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	w, err := req.write()
	if err != nil {
		s.fail(c, err)
		return
	}
	ct, err := s.store.CreateContact(c.Request.Context(), principal(c).AccountID, w)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, ct)
}

func (s *Server) getContact(c *gin.Context) {
	ct, err := s.store.Contact(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if s.liveContact(c, ct, err) {
		c.JSON(http.StatusOK, ct)
	}
}

func (s *Server) listContacts(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	cs, err := s.store.ListContacts(c.Request.Context(), principal(c).AccountID, c.Query("email"), page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, httpx.NewList(cs, page.Limit, func(ct domain.Contact) string { return ct.ID }))
}

func (s *Server) patchContact(c *gin.Context) {
	p := principal(c)
	var patch json.RawMessage
	if err := httpx.DecodeJSON(c, &patch); err != nil {
		s.fail(c, err)
		return
	}
	ct, err := s.store.Contact(c.Request.Context(), p.AccountID, c.Param("id"))
	if !s.liveContact(c, ct, err) {
		return
	}
	req := contactRequest{Email: ct.Email, Name: ct.Name, OwnerUserID: ct.OwnerUserID, Phone: ct.Phone, Country: ct.Country,
		Language: ct.Language, Company: ct.Company, Properties: ct.Properties, ExternalIDs: []externalIDRequest{}}
	if ct.Identities != nil {
		for _, e := range ct.Identities.ExternalIDs {
			req.ExternalIDs = append(req.ExternalIDs, externalIDRequest{ChannelID: e.ChannelID, ExternalUserID: e.ExternalUserID})
		}
	}
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
		return
	}
	if p.Role != domain.RoleAdmin && !samePtr(req.OwnerUserID, ct.OwnerUserID) {
		httpx.WriteProblem(c, http.StatusForbidden, "agents edit a contact's profile; its owner (who its tickets route to) is an admin's to change",
			domain.FieldError{Field: "owner_user_id", Message: "only an admin may change the contact's owner"})
		return
	}
	w, err := req.write()
	if err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateContact(c.Request.Context(), p.AccountID, ct.ID, w)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, updated)
}

// mergeRequest is the body of POST /v1/contacts/{id}/merge.
type mergeRequest struct {
	FromContactID string `json:"from_contact_id" validate:"required,max=100"`
}

// liveContact answers 404 for a contact that does not exist or was merged (naming the survivor) and returns false.
func (s *Server) liveContact(c *gin.Context, ct domain.Contact, err error) bool {
	if err != nil {
		s.fail(c, err)
		return false
	}
	if ct.ID != c.Param("id") {
		httpx.WriteProblem(c, http.StatusNotFound, fmt.Sprintf("contact %s was merged into %s", c.Param("id"), ct.ID))
		return false
	}
	return true
}

func (s *Server) mergeContact(c *gin.Context) {
	ct, err := s.store.Contact(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	if !s.liveContact(c, ct, err) {
		return
	}
	var req mergeRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	merged, rec, err := s.store.MergeContactsBy(c.Request.Context(), principal(c).AccountID, ct.ID, req.FromContactID, actor(principal(c)))
	s.respond(c, http.StatusOK, mergeResponse{Contact: merged, Merge: rec}, err)
}

func (s *Server) contactTimeline(c *gin.Context) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var after *store.TimelineCursor
	if page.After != "" {
		nanos, id, ok := strings.Cut(page.After, "_")
		n, err := strconv.ParseInt(nanos, 10, 64)
		if !ok || err != nil || id == "" {
			s.fail(c, domain.Invalid("cursor", "is not a cursor this API returned"))
			return
		}
		after = &store.TimelineCursor{At: time.Unix(0, n), ID: id}
	}
	ctx := c.Request.Context()
	ct, err := s.store.Contact(ctx, principal(c).AccountID, c.Param("id"))
	if !s.liveContact(c, ct, err) {
		return
	}
	items, err := s.store.Timeline(ctx, principal(c).AccountID, ct.ID, after, page.Limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := httpx.List[store.TimelineItem]{Items: items}
	if len(items) == page.Limit {
		last := items[len(items)-1]
		cur := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last.At.UnixNano(), 10) + "_" + last.ID))
		out.NextCursor = &cur
	}
	c.JSON(http.StatusOK, out)
}
