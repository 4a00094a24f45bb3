package server

import (
	"encoding/json"
	"net/http"
	"strings"

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
}

// write returns what the request stores, its phone number in E.164.
func (r contactRequest) write() (store.ContactWrite, error) {
	w := store.ContactWrite{Email: r.Email, Name: r.Name, OwnerUserID: r.OwnerUserID, Country: strings.ToUpper(r.Country),
		Language: r.Language, Company: r.Company, Properties: r.Properties}
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
		Language: ct.Language, Company: ct.Company, Properties: ct.Properties}
	if err := mergeInto(&req, patch, ""); err != nil {
		s.fail(c, err)
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
