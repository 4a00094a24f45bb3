package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/routedesk/routedesk/store"
)

// checkDatabaseURL fails unless databaseURL is a postgres:// or postgresql://
// URL; the message never repeats the value, which may hold a password.
func checkDatabaseURL(databaseURL string) error {
	const example = "postgres://user:password@host:5432/routedesk?sslmode=disable"
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		scheme := "no scheme"
		if err == nil && u.Scheme != "" {
			scheme = "scheme " + strconv.Quote(u.Scheme)
		}
		return fmt.Errorf("DATABASE_URL must be a PostgreSQL URL such as %s (it has %s)", example, scheme)
	}
	return nil
}

// explainStoreError turns a PostgreSQL that answered but refused us (no such
// role, wrong password, no such database, no right to create it) into a
// message that says so, naming the URL's database and user; other errors
// pass unchanged.
func explainStoreError(err error, databaseURL string) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	where := "PostgreSQL at " + store.Redact(databaseURL)
	user, db := "", ""
	if u, perr := url.Parse(databaseURL); perr == nil {
		user, db = u.User.Username(), strings.TrimPrefix(u.Path, "/")
	}
	var advice string
	switch pgErr.Code {
	case "28000": // invalid_authorization_specification: no such role, or pg_hba.conf refuses it
		advice = fmt.Sprintf("create the role (e.g. `createuser --createdb %s` as the postgres user) or put an existing user in DATABASE_URL", orDefault(user, "<user>"))
	case "28P01": // invalid_password
		advice = "fix the password in DATABASE_URL"
	case "3D000": // invalid_catalog_name
		advice = fmt.Sprintf("create the database (e.g. `createdb %s`) or name an existing one in DATABASE_URL", orDefault(db, "<name>"))
	case "42501": // insufficient_privilege, e.g. CREATE DATABASE
		advice = fmt.Sprintf("create the database %q yourself or grant the user CREATEDB", db)
	default:
		return err
	}
	return fmt.Errorf("%s refused the connection: %s — %s", where, pgErr.Message, advice)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkPortsFree fails, naming the setting to change, when a port dev needs
// is already taken; it runs before anything starts so the message is the first.
func checkPortsFree(cfg *config) error {
	checks := []struct {
		addr, env string
	}{
		{cfg.HTTPAddr, "ROUTEDESK_HTTP_ADDR"},
	}
	if cfg.TemporalAddress == "" {
		if cfg.DevTemporalPort > 0 {
			checks = append(checks, struct{ addr, env string }{net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.DevTemporalPort)), "ROUTEDESK_DEV_TEMPORAL_PORT"})
		}
		if cfg.DevUIPort > 0 {
			checks = append(checks, struct{ addr, env string }{net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.DevUIPort)), "ROUTEDESK_DEV_UI_PORT"})
		}
	}
	if cfg.SMTPAddr != "" && cfg.SMTPAddr != "off" {
		checks = append(checks, struct{ addr, env string }{cfg.SMTPAddr, "ROUTEDESK_SMTP_ADDR"})
	}
	for _, c := range checks {
		ln, err := net.Listen("tcp", c.addr)
		if err != nil {
			return fmt.Errorf("%s is already in use (another routedesk dev or Temporal?): stop that process or set %s to a free port",
				c.addr, c.env)
		}
		_ = ln.Close()
	}
	return nil
}
