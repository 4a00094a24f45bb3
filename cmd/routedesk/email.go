package main

import (
	"crypto/tls"
	"fmt"

	"github.com/routedesk/routedesk/channels/registry"
)

// teamEmail is the team email settings of the server: the SMTP listener (with
// STARTTLS when a certificate is configured) and the IMAP pollers.
func teamEmail(cfg *config) (registry.EmailSettings, error) {
	s := registry.EmailSettings{SMTPAddr: cfg.SMTPAddr, SMTPMaxBytes: cfg.SMTPMaxBytes, IMAP: true}
	if s.SMTPAddr == "off" {
		s.SMTPAddr = ""
	}
	if cfg.SMTPMaxBytes <= 0 {
		return s, fmt.Errorf("ROUTEDESK_SMTP_MAX_BYTES=%d must be positive", cfg.SMTPMaxBytes)
	}
	if (cfg.SMTPTLSCert == "") != (cfg.SMTPTLSKey == "") {
		return s, fmt.Errorf("ROUTEDESK_SMTP_TLS_CERT and ROUTEDESK_SMTP_TLS_KEY go together: set both or neither")
	}
	if cfg.SMTPTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SMTPTLSCert, cfg.SMTPTLSKey)
		if err != nil {
			return s, fmt.Errorf("ROUTEDESK_SMTP_TLS_CERT/ROUTEDESK_SMTP_TLS_KEY: %w", err)
		}
		s.SMTPTLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	return s, nil
}
