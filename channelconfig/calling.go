package channelconfig

import "github.com/routedesk/routedesk/domain"

// Calling is the configuration of a phone line.
type Calling struct {
	// PhoneNumber is the line's number, E.164 (+14155550123).
	PhoneNumber string `json:"phone_number" validate:"required,e164_strict"`
}

// Type returns TypeCalling.
func (*Calling) Type() Type { return TypeCalling }

func (*Calling) applyDefaults() {}

func (*Calling) check() []domain.FieldError { return nil }
