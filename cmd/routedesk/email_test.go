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
