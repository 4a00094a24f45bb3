package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// contactRequest is the body of POST /v1/contacts; PATCH merges into it.
type contactRequest struct {
	Email       *string        `json:"email" validate:"omitempty,email,max=320"`
	Name        string         `json:"name" validate:"max=200"`
	OwnerUserID *string        `json:"owner_user_id" validate:"omitempty,max=100"`
	Properties  map[string]any `json:"properties"`
}

func (r contactRequest) write() store.ContactWrite {
	return store.ContactWrite{Email: r.Email, Name: r.Name, OwnerUserID: r.OwnerUserID, Properties: r.Properties}
}

func (s *Server) createContact(c *gin.Context) {
	var req contactRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ct, err := s.store.CreateContact(c.Request.Context(), principal(c).AccountID, req.write())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, ct)
}

func (s *Server) getContact(c *gin.Context) {
	ct, err := s.store.Contact(c.Request.Context(), principal(c).AccountID, c.Param("id"))
	s.respond(c, http.StatusOK, ct, err)
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
	c.JSON(http.StatusOK, newList(cs, page, func(ct domain.Contact) string { return ct.ID }))
}

func (s *Server) patchContact(c *gin.Context) {
	p := principal(c)
	var patch json.RawMessage
	if err := decodeJSON(c, &patch); err != nil {
		s.fail(c, err)
		return
	}
	ct, err := s.store.Contact(c.Request.Context(), p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	req := contactRequest{Email: ct.Email, Name: ct.Name, OwnerUserID: ct.OwnerUserID, Properties: ct.Properties}
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.store.UpdateContact(c.Request.Context(), p.AccountID, ct.ID, req.write())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, updated)
}
