package main

import (
	"crypto/tls"
	"fmt"

	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/mailer"
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
	switch cfg.EmailVerification {
	case "required":
		s.VerifyAddresses = true
	case "off":
	case "":
		s.VerifyAddresses = !cfg.devMode // dev's addresses are the developer's own test addresses
	default:
		return s, fmt.Errorf("ROUTEDESK_EMAIL_VERIFICATION=%q is not required or off", cfg.EmailVerification)
	}
	s.PublicURL = cfg.PublicURL
	oauth, err := mailboxProviders(cfg)
	if err != nil {
		return s, err
	}
	s.OAuth = oauth
	if cfg.SMTPURL != "" {
		m, err := mailer.Parse(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return s, fmt.Errorf("ROUTEDESK_SMTP_URL: %w", err)
		}
		s.SystemMail = m
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

// mailboxProviders are the OAuth applications admins connect Gmail and Microsoft 365 mailboxes with.
func mailboxProviders(cfg *config) (*registry.EmailOAuthSettings, error) {
	o := &registry.EmailOAuthSettings{PublicURL: cfg.PublicURL, Providers: map[string]*registry.EmailOAuthProvider{}}
	if (cfg.GmailClientID == "") != (cfg.GmailClientSecret == "") {
		return nil, fmt.Errorf("ROUTEDESK_GMAIL_CLIENT_ID and ROUTEDESK_GMAIL_CLIENT_SECRET go together: set both or neither")
	}
	if (cfg.Microsoft365ClientID == "") != (cfg.Microsoft365ClientSecret == "") {
		return nil, fmt.Errorf("ROUTEDESK_MICROSOFT365_CLIENT_ID and ROUTEDESK_MICROSOFT365_CLIENT_SECRET go together: set both or neither")
	}
	if cfg.GmailClientID != "" {
		o.Providers[registry.EmailOAuthGmail] = registry.GmailProvider(cfg.GmailClientID, cfg.GmailClientSecret)
	}
	if cfg.Microsoft365ClientID != "" {
		o.Providers[registry.EmailOAuthMicrosoft365] = registry.Microsoft365Provider(cfg.Microsoft365ClientID, cfg.Microsoft365ClientSecret, cfg.Microsoft365Tenant)
	}
	if len(o.Providers) > 0 && cfg.PublicURL == "" {
		return nil, fmt.Errorf("ROUTEDESK_PUBLIC_URL is required with a mailbox provider's client id: the providers redirect to ROUTEDESK_PUBLIC_URL%s", registry.EmailOAuthCallbackPath)
	}
	return o, nil
}
