package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/whatsapp"
	"github.com/routedesk/routedesk/domain"
)

// templateCacheAge is how long a channel's listed templates are served without asking Graph again.
const templateCacheAge = time.Hour

// templateAttempts and templateBackoff bound the Graph calls of one listing (1 s, then 2 s between them).
const (
	templateAttempts = 3
	templateBackoff  = time.Second
	templateDeadline = 45 * time.Second
)

// templateList is a WhatsApp channel's approved templates: from the cache (fetched_at), and when a
// refresh failed, stale with the error that kept it from being refreshed.
type templateList struct {
	ChannelID string          `json:"channel_id"`
	FetchedAt time.Time       `json:"fetched_at"`
	Stale     bool            `json:"stale"`
	Error     string          `json:"error,omitempty"`
	Items     []templateEntry `json:"items"`
}

// templateEntry is one approved template with the variables to fill before sending it.
type templateEntry struct {
	graph.WhatsAppTemplate
	Variables []templateVariable `json:"variables"`
}

// templateVariable is one {{variable}} of a template: in its header, its body, or a URL button (index).
type templateVariable struct {
	Component string `json:"component"`
	Index     *int   `json:"index,omitempty"`
	Name      string `json:"name"`
}

var templateVar = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// templateRoutes are the WhatsApp template routes of the route table.
func (s *Server) templateRoutes() []route {
	return []route{
		{method: http.MethodGet, path: "/v1/channels/:id/whatsapp/templates", tag: "channels", summary: "A WhatsApp channel's approved message templates and their variables, from Graph (cached for an hour; refresh=true fetches them now; a failed refresh serves the cache marked stale with the error)", auth: authAny, response: templateList{}, status: 200, query: []string{"refresh"}, problems: []int{http.StatusConflict, http.StatusBadGateway}, handler: s.listTemplates},
	}
}

func (s *Server) listTemplates(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	refresh := false
	switch c.Query("refresh") {
	case "", "false":
	case "true":
		refresh = true
	default:
		s.fail(c, domain.Invalid("refresh", "must be true or false"))
		return
	}
	ch, err := s.store.Channel(ctx, p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if ch.Type != string(whatsapp.Type) {
		s.fail(c, fmt.Errorf("channel %s is %s, not WhatsApp: only WhatsApp has message templates: %w", ch.ID, ch.Type, domain.ErrConflict))
		return
	}
	cached, found, err := s.store.WhatsAppTemplates(ctx, p.AccountID, ch.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if found && !refresh && time.Since(cached.FetchedAt) < templateCacheAge {
		s.answerTemplates(c, ch.ID, cached.Templates, cached.FetchedAt, nil)
		return
	}
	fresh, err := s.fetchTemplates(ctx, ch)
	if err != nil {
		if !found || errors.Is(err, domain.ErrConflict) {
			s.fail(c, err)
			return
		}
		s.answerTemplates(c, ch.ID, cached.Templates, cached.FetchedAt, err)
		return
	}
	raw, _ := json.Marshal(fresh)
	at, err := s.store.SaveWhatsAppTemplates(ctx, p.AccountID, ch.ID, raw)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.answerTemplates(c, ch.ID, raw, at, nil)
}

// fetchTemplates lists the channel's templates from Graph, retrying what Graph says is temporary.
func (s *Server) fetchTemplates(ctx context.Context, ch domain.Channel) ([]graph.WhatsAppTemplate, error) {
	cfg, err := channelHost{s}.Config(ctx, ch)
	if err != nil {
		return nil, err
	}
	wc, ok := cfg.(*whatsapp.Config)
	if !ok {
		return nil, fmt.Errorf("channel %s has a %T configuration: %w", ch.ID, cfg, domain.ErrConflict)
	}
	if wc.BusinessAccountID == "" {
		return nil, fmt.Errorf("the channel has no config.business_account_id: set it to the WhatsApp Business Account id (WhatsApp Manager) to list its templates: %w", domain.ErrConflict)
	}
	if s.cfg.Graph == nil {
		return nil, fmt.Errorf("%w: no Graph API client is configured", errUpstream)
	}
	ctx, cancel := context.WithTimeout(ctx, templateDeadline)
	defer cancel()
	wait := templateBackoff
	for attempt := 1; ; attempt++ {
		list, err := s.cfg.Graph.ListWhatsAppTemplates(ctx, wc.AccessToken, wc.BusinessAccountID)
		if err == nil {
			return list, nil
		}
		if attempt == templateAttempts || !graph.IsRetryable(err) {
			return nil, fmt.Errorf("%w: Graph did not list the templates: %s", errUpstream, err.Error())
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: Graph did not list the templates in time: %s", errUpstream, err.Error())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// answerTemplates answers the list raw holds, with each template's variables; failed marks it stale.
func (s *Server) answerTemplates(c *gin.Context, channelID string, raw json.RawMessage, at time.Time, failed error) {
	var list []graph.WhatsAppTemplate
	if err := json.Unmarshal(raw, &list); err != nil {
		s.fail(c, fmt.Errorf("decode cached templates of %s: %w", channelID, err))
		return
	}
	out := templateList{ChannelID: channelID, FetchedAt: at, Items: make([]templateEntry, 0, len(list))}
	if failed != nil {
		out.Stale, out.Error = true, strings.TrimPrefix(failed.Error(), errUpstream.Error()+": ")
	}
	for _, t := range list {
		out.Items = append(out.Items, templateEntry{WhatsAppTemplate: t, Variables: templateVariables(t)})
	}
	c.JSON(http.StatusOK, out)
}

// templateVariables lists the variables of a template's header, body and URL buttons, in order.
func templateVariables(t graph.WhatsAppTemplate) []templateVariable {
	out := []templateVariable{}
	for _, comp := range t.Components {
		kind := strings.ToLower(comp.Type)
		switch kind {
		case "header", "body":
			for _, m := range templateVar.FindAllStringSubmatch(comp.Text, -1) {
				out = append(out, templateVariable{Component: kind, Name: m[1]})
			}
		case "buttons":
			for i, b := range comp.Buttons {
				if strings.EqualFold(b.Type, "URL") {
					for _, m := range templateVar.FindAllStringSubmatch(b.URL, -1) {
						out = append(out, templateVariable{Component: "button", Index: &i, Name: m[1]})
					}
				}
			}
		}
	}
	return out
}
