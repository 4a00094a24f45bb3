package registry

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/calling"
	"github.com/routedesk/routedesk/channels/channeltest"
	"github.com/routedesk/routedesk/channels/chat"
	"github.com/routedesk/routedesk/channels/custom"
	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/channels/form"
	"github.com/routedesk/routedesk/channels/messenger"
	"github.com/routedesk/routedesk/channels/whatsapp"
)

// builtins is the registry the tests decode with.
var builtins = New(Deps{})

// The built-in types and configuration types, named as the tests name them.
const (
	TypeEmail     = email.Type
	TypeChat      = chat.Type
	TypeMessenger = messenger.Type
	TypeForm      = form.Type
	TypeWhatsApp  = whatsapp.Type
	TypeCalling   = calling.Type
	TypeCustom    = custom.Type
)

type (
	Type   = channels.Type
	Config = channels.Config
	Email  = email.Config
	Custom = custom.Config
)

// Types returns the built-in types.
func Types() []Type { return builtins.Types() }

// Decode decodes raw as type typ with the built-in registry.
func Decode(typ Type, raw json.RawMessage) (Config, error) { return builtins.Decode(typ, raw) }

// Merge merges with the built-in registry.
func Merge(typ Type, current, patch json.RawMessage) (Config, error) {
	return builtins.Merge(typ, current, patch)
}

// Redacted is channels.Redacted.
func Redacted(c Config) json.RawMessage { return channels.Redacted(c) }

// Placeholder is channels.Placeholder.
const Placeholder = channels.Placeholder

// mustDecode decodes raw as type typ and fails the test on error.
func mustDecode(t *testing.T, typ Type, raw string) Config {
	t.Helper()
	cfg, err := Decode(typ, json.RawMessage(raw))
	require.NoError(t, err)
	return cfg
}

// fieldErrors asserts err is a *domain.ValidationError and returns its messages by field.
func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	return channeltest.FieldErrors(t, err)
}
