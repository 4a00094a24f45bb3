package form

import (
	"errors"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// publicForm returns the connected public form channel of the path's form_id; anything else is not found.
func publicForm(gc *gin.Context, h channels.Host) (domain.Channel, *Config, error) {
	notFound := errors.Join(errors.New("no public form "+gc.Param("form_id")), domain.ErrNotFound)
	ch, err := h.Store().ChannelByID(gc.Request.Context(), gc.Param("form_id"))
	if errors.Is(err, domain.ErrNotFound) || (err == nil && (ch.Type != string(Type) || ch.Status == domain.ChannelDisconnected)) {
		return ch, nil, notFound
	}
	if err != nil {
		return ch, nil, err
	}
	cfg, err := formConfig(gc, h, ch)
	if err != nil {
		return ch, nil, err
	}
	if !cfg.Public {
		return ch, nil, notFound
	}
	return ch, cfg, nil
}

// formCORS is the public form's cross-origin policy: JSON posts from the form's allowed_origins.
var formCORS = httpx.CORS{Methods: "POST", Headers: "Content-Type"}

// cors answers whether the request's Origin may post the form, setting the CORS headers when it may.
// A request without an Origin (a plain HTML form of the site, a server) needs none.
func cors(gc *gin.Context, cfg *Config) bool {
	return formCORS.Allow(gc, func(origin string) bool { return httpx.OriginIn(origin, cfg.AllowedOrigins) })
}

// preflight answers a browser's CORS preflight for an allowed origin.
func (c *Channel) preflight(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		_, cfg, err := publicForm(gc, h)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		if gc.GetHeader("Origin") == "" || !cors(gc, cfg) {
			h.Problem(gc, http.StatusForbidden, "the origin is not one of the form's allowed_origins")
			return
		}
		formCORS.Preflight(gc)
		gc.Status(http.StatusNoContent)
	}
}

// public takes a website's submission without a token: urlencoded (a plain HTML form, answered
// with a 303 to redirect_url) or JSON (from allowed origins), at most rate_limit_per_minute per IP.
func (c *Channel) public(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		ch, cfg, err := publicForm(gc, h)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		if !cors(gc, cfg) {
			h.Problem(gc, http.StatusForbidden, "the origin is not one of the form's allowed_origins")
			return
		}
		if d := c.limits.Wait(ch.ID+"|"+gc.ClientIP(), cfg.RateLimitPerMinute, time.Now()); d > 0 {
			gc.Header("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
			h.Problem(gc, http.StatusTooManyRequests, "too many submissions from this address; retry after "+gc.Writer.Header().Get("Retry-After")+" s")
			return
		}
		mediaType, _, _ := mime.ParseMediaType(gc.GetHeader("Content-Type"))
		html := mediaType == "application/x-www-form-urlencoded"
		var req Request
		if html {
			req, err = decodeForm(gc)
		} else {
			req, err = decode(gc, h)
		}
		if err != nil {
			h.Fail(gc, err)
			return
		}
		if req.ExternalID == "" {
			req.ExternalID = store.NewID("sub")
		}
		resp, status, err := c.accept(gc, h, ch, cfg, req)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		if html && cfg.RedirectURL != "" {
			gc.Redirect(http.StatusSeeOther, cfg.RedirectURL)
			return
		}
		gc.JSON(status, resp)
	}
}

// decodeForm reads a plain HTML form post: every input is a field; repeated inputs are joined with ", ".
func decodeForm(gc *gin.Context) (Request, error) {
	if err := gc.Request.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Request{}, tooLarge
		}
		return Request{}, domain.Invalid("body", "is not a valid application/x-www-form-urlencoded body")
	}
	req := Request{Fields: map[string]any{}, PageURL: gc.GetHeader("Referer")}
	for name, vs := range gc.Request.PostForm {
		req.Fields[name] = strings.Join(vs, ", ")
	}
	if len(req.PageURL) > 2048 || !utf8.ValidString(req.PageURL) || strings.ContainsRune(req.PageURL, 0) {
		req.PageURL = "" // a header is only a hint; PostgreSQL text cannot hold every byte string
	}
	return req, nil
}
