package main

import (
	"strings"
	"testing"
)

func TestTeamEmailSettings(t *testing.T) {
	s, err := teamEmail(&config{SMTPAddr: "off", SMTPMaxBytes: 1 << 20})
	if err != nil || s.SMTPAddr != "" || !s.IMAP || s.SMTPMaxBytes != 1<<20 {
		t.Fatalf("off: %+v %v", s, err)
	}
	if _, err := teamEmail(&config{SMTPAddr: "127.0.0.1:2525", SMTPMaxBytes: 1, SMTPTLSCert: "c.pem"}); err == nil ||
		!strings.Contains(err.Error(), "ROUTEDESK_SMTP_TLS_KEY") {
		t.Fatalf("a certificate without a key: %v", err)
	}
	if _, err := teamEmail(&config{SMTPAddr: "127.0.0.1:2525", SMTPMaxBytes: 1, SMTPTLSCert: "/nonexistent.pem", SMTPTLSKey: "/nonexistent.key"}); err == nil ||
		!strings.Contains(err.Error(), "ROUTEDESK_SMTP_TLS_CERT") {
		t.Fatalf("an unreadable certificate: %v", err)
	}
	if _, err := teamEmail(&config{SMTPMaxBytes: 0}); err == nil || !strings.Contains(err.Error(), "ROUTEDESK_SMTP_MAX_BYTES") {
		t.Fatalf("no size limit: %v", err)
	}
}

// TestEmailVerificationSetting: server requires proof of new addresses unless turned off; dev does not
// unless asked; anything else is refused; ROUTEDESK_SMTP_URL becomes the verification mails' sender.
func TestEmailVerificationSetting(t *testing.T) {
	for _, tc := range []struct {
		value string
		dev   bool
		want  bool
	}{{"", false, true}, {"", true, false}, {"off", false, false}, {"required", true, true}} {
		s, err := teamEmail(&config{SMTPMaxBytes: 1 << 20, EmailVerification: tc.value, devMode: tc.dev})
		if err != nil || s.VerifyAddresses != tc.want {
			t.Fatalf("%q (dev %v): verify %v, %v; want %v", tc.value, tc.dev, s.VerifyAddresses, err, tc.want)
		}
	}
	if _, err := teamEmail(&config{SMTPMaxBytes: 1 << 20, EmailVerification: "maybe"}); err == nil ||
		!strings.Contains(err.Error(), "ROUTEDESK_EMAIL_VERIFICATION") {
		t.Fatalf("a bad value: %v", err)
	}
	s, err := teamEmail(&config{SMTPMaxBytes: 1 << 20, SMTPURL: "smtp://127.0.0.1:2525?tls=none", MailFrom: "desk@example.com"})
	if err != nil || s.SystemMail == nil {
		t.Fatalf("system mailer: %+v %v", s, err)
	}
}
