package httpx

import (
	"encoding/base64"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

const (
	defaultLimit = 50
	maxLimit     = 500
)

// PageQuery are the query parameters of a paged list.
var PageQuery = []string{"limit", "cursor"}

// cursorID is the shape of the ids cursors carry ("tkt_0193…"); anything
// else did not come from this API (and must not reach PostgreSQL as text).
var cursorID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// Page is the page a list request asks for (the fields of store.Page, which it converts to).
type Page struct {
	After string // id of the last item of the previous page; "" for the first page
	Limit int
}

// List is a page of items and the cursor of the next page (null on the last).
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// PageFrom reads ?limit= and ?cursor=.
func PageFrom(c *gin.Context) (Page, error) {
	p := Page{Limit: defaultLimit}
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

// NewList builds a page response of a page of limit items; a full page has a next cursor after its last item.
func NewList[T any](items []T, limit int, id func(T) string) List[T] {
	l := List[T]{Items: items}
	if l.Items == nil {
		l.Items = []T{}
	}
	if len(items) == limit && len(items) > 0 {
		cur := base64.RawURLEncoding.EncodeToString([]byte(id(items[len(items)-1])))
		l.NextCursor = &cur
	}
	return l
}
