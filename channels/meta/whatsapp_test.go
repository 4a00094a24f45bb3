package meta

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sec(v int64) time.Time { return time.Unix(v, 0).UTC() }

func TestParseWhatsAppMessages(t *testing.T) {
	events, err := ParseWhatsApp(fixture(t, "whatsapp_messages.json"))
	require.NoError(t, err)

	const phone, display = "106540352242922", "15550783881"
	want := []WhatsAppEvent{
		{PhoneNumberID: phone, DisplayPhoneNumber: display, Kind: KindMessage,
			WAMID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", From: "16505551234", ProfileName: "Sheena Nelson",
			Timestamp: sec(1732464000), Type: "text", Text: "Does it come in another color?"},
		{PhoneNumberID: phone, DisplayPhoneNumber: display, Kind: KindMessage,
			WAMID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgB=", From: "16505551234", ProfileName: "Sheena Nelson",
			Timestamp: sec(1732464010), Type: "button", Text: "Track my order", Payload: "TRACK_ORDER"},
		{PhoneNumberID: phone, DisplayPhoneNumber: display, Kind: KindMessage,
			WAMID: "wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhgUM0FCRDU3RjM5NkE0QkYxRUY2MjMA", From: "919876543210", ProfileName: "Ravi Kumar",
			Timestamp: sec(1732464020), Type: "interactive", Text: "Refunds", Payload: "topic_refund"},
		{PhoneNumberID: phone, DisplayPhoneNumber: display, Kind: KindMessage,
			WAMID: "wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhgUM0FCRDU3RjM5NkE0QkYxRUY2MjQA", From: "919876543210", ProfileName: "Ravi Kumar",
			Timestamp: sec(1732464030), Type: "interactive", Text: "Talk to an agent", Payload: "agent_yes"},
		{PhoneNumberID: phone, DisplayPhoneNumber: display, Kind: KindMessage,
			WAMID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgC=", From: "16505551234", ProfileName: "Sheena Nelson",
			Timestamp: sec(1732464040), Type: "image", Text: "the damaged box", Attachments: 1},
	}
	assert.Equal(t, want, events)
}

func TestParseWhatsAppStatuses(t *testing.T) {
	events, err := ParseWhatsApp(fixture(t, "whatsapp_statuses.json"))
	require.NoError(t, err)

	want := []WhatsAppEvent{
		{PhoneNumberID: "106540352242922", DisplayPhoneNumber: "15550783881", Kind: KindStatus,
			WAMID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NjIwQkY4RDBFRjI0M0VEQzkA", Timestamp: sec(1732464100),
			Status: "delivered", RecipientID: "16505551234"},
		{PhoneNumberID: "106540352242922", DisplayPhoneNumber: "15550783881", Kind: KindStatus,
			WAMID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", Timestamp: sec(1732464200),
			Status: "failed", RecipientID: "16505551234",
			StatusErrors: []StatusError{{Code: 131047, Title: "Re-engagement message"}}},
		// The message_template_status_update change is skipped.
		{PhoneNumberID: "118700112233445", DisplayPhoneNumber: "442071838750", Kind: KindStatus,
			WAMID: "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSQUE=", Timestamp: sec(1732464300),
			Status: "read", RecipientID: "447700900123"},
	}
	assert.Equal(t, want, events)
}

// wa wraps one change value in a whatsapp_business_account payload, after a valid first entry.
func wa(value string) string {
	first := `{"id":"9","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":"2","id":"wamid.A","type":"text","text":{"body":"hi"}}]}}]}`
	return `{"object":"whatsapp_business_account","entry":[` + first + `,{"id":"9","changes":[{"field":"messages","value":` + value + `}]}]}`
}

func TestParseWhatsAppValid(t *testing.T) {
	first := WhatsAppEvent{PhoneNumberID: "1", Kind: KindMessage, WAMID: "wamid.A", From: "2", Type: "text", Text: "hi"}
	tests := []struct {
		name string
		body string
		want []WhatsAppEvent
	}{
		{"no entries", `{"object":"whatsapp_business_account","entry":[]}`, nil},
		{"other fields skipped unread", `{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"account_update","value":"anything"}]}]}`, nil},
		{"unknown message type", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"from":"2","id":"wamid.B","timestamp":"5","type":"unsupported","errors":[{"code":131051}]}]}`),
			[]WhatsAppEvent{first, {PhoneNumberID: "1", Kind: KindMessage, WAMID: "wamid.B", From: "2", Timestamp: sec(5), Type: "unsupported"}}},
		{"contact without profile", wa(`{"metadata":{"phone_number_id":"1"},"contacts":[{"wa_id":"2"}],"messages":[{"from":"2","id":"wamid.B","type":"location","location":{"latitude":1.5,"longitude":2}}]}`),
			[]WhatsAppEvent{first, {PhoneNumberID: "1", Kind: KindMessage, WAMID: "wamid.B", From: "2", Type: "location", Attachments: 1}}},
		{"document and sticker count", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"from":"2","id":"wamid.B","type":"document","document":{"filename":"a.pdf"},"sticker":{"animated":false}}]}`),
			[]WhatsAppEvent{first, {PhoneNumberID: "1", Kind: KindMessage, WAMID: "wamid.B", From: "2", Type: "document", Attachments: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := ParseWhatsApp([]byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.want, events)
		})
	}
}

func TestParseWhatsAppMalformed(t *testing.T) {
	const v = "entry[1].changes[0].value"
	tests := []struct {
		name string
		body string
		path string
		msg  string
	}{
		{"not JSON", `nope`, "", "not valid JSON"},
		{"wrong object", `{"object":"page","entry":[]}`, "object", `want "whatsapp_business_account", got "page"`},
		{"changes not array", `{"object":"whatsapp_business_account","entry":[{"changes":{}}]}`, "entry[0].changes", "want array"},
		{"field number", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":1}]}]}`, "entry[0].changes[0].field", "want string"},
		{"value missing", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages"}]}]}`, "entry[0].changes[0].value", "missing"},
		{"value string", wa(`"x"`), v, "want object, got string"},
		{"phone number id missing", wa(`{"metadata":{"display_phone_number":"1555"}}`), v + ".metadata.phone_number_id", "missing"},
		{"phone number id number", wa(`{"metadata":{"phone_number_id":106540352242922}}`), v + ".metadata.phone_number_id", "want string, got number"},
		{"display number number", wa(`{"metadata":{"phone_number_id":"1","display_phone_number":15550783881}}`), v + ".metadata.display_phone_number", "want string"},
		{"contacts wa_id number", wa(`{"metadata":{"phone_number_id":"1"},"contacts":[{"wa_id":16505551234}]}`), v + ".contacts[0].wa_id", "want string"},
		{"profile name array", wa(`{"metadata":{"phone_number_id":"1"},"contacts":[{"wa_id":"2","profile":{"name":[]}}]}`), v + ".contacts[0].profile.name", "want string"},
		{"message id missing", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"from":"2"}]}`), v + ".messages[0].id", "missing"},
		{"message from missing", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w"}]}`), v + ".messages[0].from", "missing"},
		{"timestamp number", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"2","timestamp":1732464000}]}`), v + ".messages[0].timestamp", "want string, got number"},
		{"timestamp not digits", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"2","timestamp":"yesterday"}]}`), v + ".messages[0].timestamp", "want seconds"},
		{"text body number", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"2","text":{"body":1}}]}`), v + ".messages[0].text.body", "want string"},
		{"button payload object", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"2","button":{"payload":{}}}]}`), v + ".messages[0].button.payload", "want string"},
		{"list reply title number", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"2","interactive":{"list_reply":{"id":"a","title":3}}}]}`), v + ".messages[0].interactive.list_reply.title", "want string"},
		{"image string", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"2","image":"x"}]}`), v + ".messages[0].image", "want object, got string"},
		{"caption number", wa(`{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"2","video":{"caption":1}}]}`), v + ".messages[0].video.caption", "want string"},
		{"status id missing", wa(`{"metadata":{"phone_number_id":"1"},"statuses":[{"status":"sent"}]}`), v + ".statuses[0].id", "missing"},
		{"status code string", wa(`{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"w","errors":[{"code":"131047"}]}]}`), v + ".statuses[0].errors[0].code", "want integer, got string"},
		{"status code float", wa(`{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"w","errors":[{"code":131047.5}]}]}`), v + ".statuses[0].errors[0].code", "want integer"},
		{"status errors element null", wa(`{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"w","errors":[null]}]}`), v + ".statuses[0].errors[0]", "want object, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := ParseWhatsApp([]byte(tt.body))
			require.Error(t, err)
			assert.Nil(t, events)
			assert.Contains(t, err.Error(), tt.msg)
			var fe *FieldError
			if tt.path == "" {
				assert.False(t, errors.As(err, &fe), "unexpected FieldError %v", err)
				return
			}
			require.True(t, errors.As(err, &fe), "want FieldError, got %v", err)
			assert.Equal(t, tt.path, fe.Path)
		})
	}
}

func TestParseWhatsAppLimits(t *testing.T) {
	status := `{"id":"wamid.X","status":"sent","timestamp":"1","recipient_id":"2"}`
	body := func(n int) []byte {
		return []byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"statuses":[` +
			strings.TrimSuffix(strings.Repeat(status+",", n), ",") + `]}}]}]}`)
	}
	events, err := ParseWhatsApp(body(MaxEvents))
	require.NoError(t, err)
	assert.Len(t, events, MaxEvents)

	_, err = ParseWhatsApp(body(MaxEvents + 1))
	require.ErrorIs(t, err, ErrTooManyEvents)

	big := []byte(`{"object":"whatsapp_business_account","pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`)
	_, err = ParseWhatsApp(big)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	_, err = WhatsAppPhoneNumberIDs(big)
	require.ErrorIs(t, err, ErrBodyTooLarge)
}
