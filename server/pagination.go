package server

import (
	"context"
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

const (
	defaultLimit = 50
	maxLimit     = 500
)

var pageQuery = []string{"limit", "cursor"}

// cursorID is the shape of the ids cursors carry ("tkt_0193…"); anything
// else did not come from this API (and must not reach PostgreSQL as text).
var cursorID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// list is a page of items and the cursor of the next page (null on the last).
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// pageFrom reads ?limit= and ?cursor=.
func pageFrom(c *gin.Context) (store.Page, error) {
	p := store.Page{Limit: defaultLimit}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, domain.Invalid("limit", "must be a whole number from 1 to 500")
		}
		p.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || !cursorID.Match(b) {
			return p, domain.Invalid("cursor", "is not a cursor this API returned")
		}
		p.After = string(b)
	}
	return p, nil
}

// newList builds a page response; a full page has a next cursor after its last item.
func newList[T any](items []T, page store.Page, id func(T) string) list[T] {
	l := list[T]{Items: items}
	if l.Items == nil {
		l.Items = []T{}
	}
	if len(items) == page.Limit && len(items) > 0 {
		cur := base64.RawURLEncoding.EncodeToString([]byte(id(items[len(items)-1])))
		l.NextCursor = &cur
	}
	return l
}

// listPage answers a page of the caller's account's items fetched by fetch.
func listPage[T any](s *Server, c *gin.Context, fetch func(context.Context, string, store.Page) ([]T, error), id func(T) string) {
	page, err := pageFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := fetch(c.Request.Context(), principal(c).AccountID, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, page, id))
}
