package server

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// pageFrom reads ?limit= and ?cursor= as the store's page.
func pageFrom(c *gin.Context) (store.Page, error) {
	p, err := httpx.PageFrom(c)
	return store.Page(p), err
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
	c.JSON(http.StatusOK, httpx.NewList(items, page.Limit, id))
}
