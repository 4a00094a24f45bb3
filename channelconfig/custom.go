package channelconfig

import "github.com/routedesk/routedesk/domain"

// Custom is the configuration of a custom channel app that posts messages through the API.
type Custom struct {
	// AppName names the app.
	AppName string `json:"app_name" validate:"required,max=100,single_line"`
	// OutboundURL receives agents' replies: https, or http for localhost, 127.0.0.1 or [::1] only.
	OutboundURL string `json:"outbound_url,omitempty" validate:"omitempty,max=2048,outbound_url"`
	// Secret signs the requests sent to OutboundURL.
	Secret string `json:"secret,omitempty" secret:"true" validate:"max=1024"`
}

// Type returns TypeCustom.
func (*Custom) Type() Type { return TypeCustom }

func (*Custom) applyDefaults() {}

func (*Custom) check() []domain.FieldError { return nil }
