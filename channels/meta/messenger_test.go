package meta

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

func TestParseMessengerBatch(t *testing.T) {
	events, err := ParseMessenger(fixture(t, "messenger_batch.json"))
	require.NoError(t, err)

	const pageA, pageB = "104871234567890", "209988776655443"
	const userA, userB = "6634512345678901", "7012345678901234"
	want := []MessengerEvent{
		{PageID: pageA, PSID: userA, RecipientID: pageA, Timestamp: ms(1732463999000), Kind: KindMessage,
			MID: "m_AbCdEfGhIjKlMnOp1", Text: "Hi, my order #4411 never arrived"},
		{PageID: pageA, PSID: userA, RecipientID: pageA, Timestamp: ms(1732464000050), Kind: KindPostback,
			MID: "m_AbCdEfGhIjKlMnOp2", PostbackPayload: "GDPR_CONSENT_ACCEPT", PostbackTitle: "I agree"},
		{PageID: pageA, PSID: pageA, RecipientID: userA, Timestamp: ms(1732464000100), Kind: KindEcho,
			MID: "m_AbCdEfGhIjKlMnOp3", Text: "Thanks! An agent will be with you shortly."},
		{PageID: pageB, PSID: userB, RecipientID: pageB, Timestamp: ms(1732464001000), Kind: KindMessage,
			MID: "m_ZyXwVuTsRqPoNm1", Text: "Billing", QuickReplyPayload: "TOPIC_BILLING"},
		{PageID: pageB, PSID: userB, RecipientID: pageB, Timestamp: ms(1732464001200), Kind: KindMessage,
			MID: "m_ZyXwVuTsRqPoNm2", Attachments: 2},
		{PageID: pageB, PSID: userB, RecipientID: pageB, Timestamp: ms(1732464001300), Kind: KindRead},
		// No messaging timestamp: falls back to entry.time.
		{PageID: pageB, PSID: userB, RecipientID: pageB, Timestamp: ms(1732464001456), Kind: KindDelivery},
		{PageID: pageB, PSID: userB, RecipientID: pageB, Timestamp: ms(1732464001400), Kind: KindOther},
		{PageID: pageA, PSID: userA, RecipientID: pageA, Timestamp: ms(1732464002000), Kind: KindMessage,
			MID: "m_AbCdEfGhIjKlMnOp4", Text: "still waiting"},
	}
	assert.Equal(t, want, events)
}

func TestParseMessengerValid(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []MessengerEvent
	}{
		{"no entries", `{"object":"page","entry":[]}`, nil},
		{"entry without messaging", `{"object":"page","entry":[{"id":"1","time":1,"changes":[]}]}`, nil},
		{"nulls are absent", `{"object":"page","entry":[{"id":"1","time":null,"messaging":[
			{"sender":{"id":"2"},"recipient":null,"timestamp":null,"message":{"mid":"m","text":null,"attachments":null,"quick_reply":null,"is_echo":null}}]}]}`,
			[]MessengerEvent{{PageID: "1", PSID: "2", Kind: KindMessage, MID: "m"}}},
		{"optin without sender id is other", `{"object":"page","entry":[{"id":"1","messaging":[
			{"recipient":{"id":"1"},"timestamp":5,"optin":{"ref":"x","user_ref":"u"}}]}]}`,
			[]MessengerEvent{{PageID: "1", RecipientID: "1", Timestamp: ms(5), Kind: KindOther}}},
		{"unknown fields ignored", `{"object":"page","extra":{"a":[1]},"entry":[{"id":"1","new_field":true,"messaging":[
			{"sender":{"id":"2","user_ref":"r"},"recipient":{"id":"1"},"timestamp":7,"message":{"mid":"m","text":"hi","reply_to":{"mid":"x"},"commands":[{"name":"flights"}]}}]}]}`,
			[]MessengerEvent{{PageID: "1", PSID: "2", RecipientID: "1", Timestamp: ms(7), Kind: KindMessage, MID: "m", Text: "hi"}}},
		{"echo false is message", `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"message":{"mid":"m","is_echo":false}}]}]}`,
			[]MessengerEvent{{PageID: "1", PSID: "2", Kind: KindMessage, MID: "m"}}},
		{"postback without mid", `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"postback":{"payload":"GET_STARTED","title":"Get Started"}}]}]}`,
			[]MessengerEvent{{PageID: "1", PSID: "2", Kind: KindPostback, PostbackPayload: "GET_STARTED", PostbackTitle: "Get Started"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := ParseMessenger([]byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.want, events)
		})
	}
}

func TestParseMessengerMalformed(t *testing.T) {
	ok := `{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m","text":"hi"}}`
	batch := func(second string) string {
		return `{"object":"page","entry":[{"id":"1","messaging":[` + ok + `]},{"id":"1","messaging":[` + second + `]}]}`
	}
	tests := []struct {
		name string
		body string
		path string // FieldError.Path, or "" for a non-field error
		msg  string // substring of the error
	}{
		{"not JSON", `{"object":`, "", "not valid JSON"},
		{"trailing garbage", `{"object":"page"} x`, "", "not valid JSON"},
		{"array body", `[]`, "", "want a JSON object, got array"},
		{"empty body", ``, "", "not valid JSON"},
		{"wrong object", `{"object":"whatsapp_business_account","entry":[]}`, "object", `want "page"`},
		{"missing object", `{"entry":[]}`, "object", `want "page", got ""`},
		{"object not string", `{"object":1}`, "object", "want string, got number"},
		{"entry not array", `{"object":"page","entry":{}}`, "entry", "want array, got object"},
		{"entry element null", `{"object":"page","entry":[null]}`, "entry[0]", "want object, got null"},
		{"entry id missing", `{"object":"page","entry":[{"messaging":[]}]}`, "entry[0].id", "missing"},
		{"entry id number", `{"object":"page","entry":[{"id":104871234567890}]}`, "entry[0].id", "want string, got number"},
		{"entry time string", `{"object":"page","entry":[{"id":"1","time":"1732464000"}]}`, "entry[0].time", "want integer"},
		{"messaging not array", `{"object":"page","entry":[{"id":"1","messaging":"x"}]}`, "entry[0].messaging", "want array"},
		{"sender id number", batch(`{"sender":{"id":6634512345678901},"message":{"mid":"m"}}`), "entry[1].messaging[0].sender.id", "want string, got number"},
		{"sender id missing", batch(`{"sender":{},"message":{"mid":"m"}}`), "entry[1].messaging[0].sender.id", "missing"},
		{"sender not object", batch(`{"sender":"2","message":{"mid":"m"}}`), "entry[1].messaging[0].sender", "want object, got string"},
		{"recipient id bool", batch(`{"sender":{"id":"2"},"recipient":{"id":true},"message":{"mid":"m"}}`), "entry[1].messaging[0].recipient.id", "want string, got boolean"},
		{"timestamp float", batch(`{"sender":{"id":"2"},"timestamp":1.5,"message":{"mid":"m"}}`), "entry[1].messaging[0].timestamp", "want integer"},
		{"timestamp string", batch(`{"sender":{"id":"2"},"timestamp":"1","message":{"mid":"m"}}`), "entry[1].messaging[0].timestamp", "want integer, got string"},
		{"message not object", batch(`{"sender":{"id":"2"},"message":"hi"}`), "entry[1].messaging[0].message", "want object, got string"},
		{"mid missing", batch(`{"sender":{"id":"2"},"message":{"text":"hi"}}`), "entry[1].messaging[0].message.mid", "missing"},
		{"text number", batch(`{"sender":{"id":"2"},"message":{"mid":"m","text":5}}`), "entry[1].messaging[0].message.text", "want string, got number"},
		{"is_echo string", batch(`{"sender":{"id":"2"},"message":{"mid":"m","is_echo":"true"}}`), "entry[1].messaging[0].message.is_echo", "want boolean"},
		{"attachments object", batch(`{"sender":{"id":"2"},"message":{"mid":"m","attachments":{}}}`), "entry[1].messaging[0].message.attachments", "want array"},
		{"attachment element string", batch(`{"sender":{"id":"2"},"message":{"mid":"m","attachments":[{},"x"]}}`), "entry[1].messaging[0].message.attachments[1]", "want object, got string"},
		{"quick reply payload number", batch(`{"sender":{"id":"2"},"message":{"mid":"m","quick_reply":{"payload":1}}}`), "entry[1].messaging[0].message.quick_reply.payload", "want string"},
		{"postback payload object", batch(`{"sender":{"id":"2"},"postback":{"payload":{}}}`), "entry[1].messaging[0].postback.payload", "want string, got object"},
		{"postback title array", batch(`{"sender":{"id":"2"},"postback":{"payload":"P","title":[]}}`), "entry[1].messaging[0].postback.title", "want string, got array"},
		{"postback without sender", batch(`{"postback":{"payload":"P"}}`), "entry[1].messaging[0].sender.id", "missing"},
		{"read not object", batch(`{"sender":{"id":"2"},"read":1}`), "entry[1].messaging[0].read", "want object"},
		{"delivery not object", batch(`{"sender":{"id":"2"},"delivery":[]}`), "entry[1].messaging[0].delivery", "want object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := ParseMessenger([]byte(tt.body))
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
			assert.True(t, strings.HasPrefix(err.Error(), "meta: "+tt.path+": "), err.Error())
		})
	}
}

func TestParseMessengerLimits(t *testing.T) {
	event := `{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m"}}`
	batchOf := func(n int) []byte {
		return []byte(`{"object":"page","entry":[{"id":"1","messaging":[` + strings.TrimSuffix(strings.Repeat(event+",", n), ",") + `]}]}`)
	}

	events, err := ParseMessenger(batchOf(MaxEvents))
	require.NoError(t, err)
	assert.Len(t, events, MaxEvents)

	_, err = ParseMessenger(batchOf(MaxEvents + 1))
	require.ErrorIs(t, err, ErrTooManyEvents)
	assert.Contains(t, err.Error(), fmt.Sprint(MaxEvents))

	// Over several entries too.
	half := `{"id":"1","messaging":[` + strings.TrimSuffix(strings.Repeat(event+",", 600), ",") + `]}`
	_, err = ParseMessenger([]byte(`{"object":"page","entry":[` + half + `,` + half + `]}`))
	require.ErrorIs(t, err, ErrTooManyEvents)

	big := []byte(`{"object":"page","entry":[],"pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`)
	_, err = ParseMessenger(big)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	_, err = MessengerPageIDs(big)
	require.ErrorIs(t, err, ErrBodyTooLarge)
}
