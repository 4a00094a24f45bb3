// Package registry lists routedesk's channels. The server, the activities and
// the worker find a channel type here; nothing else names channel types.
package registry

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/calling"
	"github.com/routedesk/routedesk/channels/chat"
	"github.com/routedesk/routedesk/channels/custom"
	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/channels/form"
	"github.com/routedesk/routedesk/channels/messenger"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/channels/whatsapp"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Deps are what the built-in channels need.
type Deps struct {
	// Store records what channels send by themselves (greetings, consent notices).
	Store *store.Store
	// Graph sends Messenger and WhatsApp messages; nil means those replies are refused.
	Graph *graph.Client
	// HTTP posts replies to custom apps; nil means a client with custom.DefaultTimeout.
	HTTP *http.Client
	// Log receives what channels cannot report otherwise (a greeting that did not sync); nil discards it.
	Log *slog.Logger
	// Email are the server-wide team email settings (SMTP listener, IMAP pollers).
	Email EmailSettings
	// ChatStreamsPerVisitor and ChatStreamsPerServer cap the chat widget's open event streams (0: chat's defaults).
	ChatStreamsPerVisitor, ChatStreamsPerServer int
}

// EmailSettings are the team email channel's server-wide settings: the SMTP listener and the IMAP pollers.
type EmailSettings = email.Settings

// EmailOAuthSettings are the mailbox providers admins connect Gmail and Microsoft 365 mailboxes with (EmailSettings.OAuth).
type EmailOAuthSettings = email.OAuthSettings

// EmailOAuthProvider is one mailbox provider's OAuth application and servers.
type EmailOAuthProvider = email.OAuthProvider

// The mailbox providers, their callback route and their constructors with the real endpoints.
const (
	EmailOAuthGmail        = email.OAuthGmail
	EmailOAuthMicrosoft365 = email.OAuthMicrosoft365
	EmailOAuthCallbackPath = email.OAuthCallbackPath
)

// GmailProvider and Microsoft365Provider are the providers with their documented endpoints and scopes.
var (
	GmailProvider        = email.Gmail
	Microsoft365Provider = email.Microsoft365
)

// builtin lists routedesk's channels, one line each, in the API's order.
func builtin(d Deps) []channels.Channel {
	return []channels.Channel{
		email.New(d.Store, d.Log, d.Email),
		chat.NewWithLimits(chatStore(d.Store), chatLimits(d)),
		messenger.New(d.Store, d.Graph, d.Log),
		form.New(),
		whatsapp.New(d.Graph),
		calling.New(),
		custom.New(d.HTTP).WithStore(customStore(d.Store)),
	}
}

// chatStore and customStore keep a missing store missing behind the channels' own store
// interfaces (a nil *store.Store in an interface is not nil).
func chatStore(st *store.Store) chat.Store {
	if st == nil {
		return nil
	}
	return st
}

func customStore(st *store.Store) custom.Store {
	if st == nil {
		return nil
	}
	return st
}

// Default caps of the chat widget's open event streams, per visitor and per server process.
const (
	DefaultChatStreamsPerVisitor = chat.DefaultStreamsPerVisitor
	DefaultChatStreamsPerServer  = chat.DefaultStreamsPerServer
)

// chatLimits are chat's default rate limits with d's stream caps.
func chatLimits(d Deps) chat.Limits {
	l := chat.DefaultLimits
	l.StreamsPerVisitor, l.StreamsPerServer = d.ChatStreamsPerVisitor, d.ChatStreamsPerServer
	return l
}

// Registry is a set of channels, one per type.
type Registry struct {
	list   []channels.Channel
	byType map[channels.Type]channels.Channel
}

// New returns the registry of the built-in channels.
func New(d Deps) *Registry {
	r, err := Of(builtin(d)...)
	if err != nil {
		panic(err) // the built-in list is fixed; a duplicate is a programming error
	}
	return r
}

// Of returns a registry of exactly the given channels, in that order; two channels of one type are an error.
func Of(list ...channels.Channel) (*Registry, error) {
	r := &Registry{byType: make(map[channels.Type]channels.Channel, len(list))}
	for _, ch := range list {
		if _, dup := r.byType[ch.Type()]; dup {
			return nil, fmt.Errorf("registry: two channels of type %q", ch.Type())
		}
		if ch.Type() == "" {
			return nil, fmt.Errorf("registry: a channel (%T) without a type", ch)
		}
		r.byType[ch.Type()] = ch
		r.list = append(r.list, ch)
	}
	return r, nil
}

// With returns a registry of r's channels and extra (a test's own channel, say); a type already present is an error.
func (r *Registry) With(extra ...channels.Channel) (*Registry, error) {
	return Of(append(append([]channels.Channel{}, r.list...), extra...)...)
}

// Lookup returns the channel of type t.
func (r *Registry) Lookup(t channels.Type) (channels.Channel, bool) {
	ch, ok := r.byType[t]
	return ch, ok
}

// Channels returns every channel, in order.
func (r *Registry) Channels() []channels.Channel { return append([]channels.Channel(nil), r.list...) }

// Types returns every channel type, in order.
func (r *Registry) Types() []channels.Type {
	out := make([]channels.Type, len(r.list))
	for i, ch := range r.list {
		out[i] = ch.Type()
	}
	return out
}

// Decode strictly decodes and validates raw as the configuration of type t (see channels.Decode); an unknown type is a field error of "type".
func (r *Registry) Decode(t channels.Type, raw json.RawMessage) (channels.Config, error) {
	ch, err := r.channel(t)
	if err != nil {
		return nil, err
	}
	return channels.Decode(ch.NewConfig(), raw)
}

// Merge merges patch into the stored configuration current of type t (see channels.Merge); an unknown type is a field error of "type".
func (r *Registry) Merge(t channels.Type, current, patch json.RawMessage) (channels.Config, error) {
	ch, err := r.channel(t)
	if err != nil {
		return nil, err
	}
	return channels.Merge(ch.NewConfig(), current, patch)
}

// Traits returns the traits of type t's channel; an unknown type has none.
func (r *Registry) Traits(t channels.Type) traits.Traits {
	if ch, ok := r.byType[t]; ok {
		return ch.Traits()
	}
	return traits.Traits{}
}

// Collectors returns the Prometheus metrics of every channel that keeps some (Collectors() []prometheus.Collector).
func (r *Registry) Collectors() []prometheus.Collector {
	var out []prometheus.Collector
	for _, ch := range r.list {
		if m, ok := ch.(interface{ Collectors() []prometheus.Collector }); ok {
			out = append(out, m.Collectors()...)
		}
	}
	return out
}

// Routes registers every channel's inbound routes on rt.
func (r *Registry) Routes(rt channels.Router, h channels.Host) {
	for _, ch := range r.list {
		ch.Routes(rt, h)
	}
}

// channel returns the channel of type t, or a validation error of "type" naming the known types.
func (r *Registry) channel(t channels.Type) (channels.Channel, error) {
	if ch, ok := r.byType[t]; ok {
		return ch, nil
	}
	return nil, domain.Invalid("type", fmt.Sprintf("unknown channel type %q; types are %s", truncate(string(t), 40), r.typeList()))
}

// typeList names every channel type, for messages.
func (r *Registry) typeList() string {
	names := make([]string, 0, len(r.list))
	for _, ch := range r.list {
		names = append(names, string(ch.Type()))
	}
	return strings.Join(names, ", ")
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
