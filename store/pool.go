package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Pool sizes one process's PostgreSQL connection pool. Every routedesk
// process has its own pool, so the sum of MaxConns over all processes must
// stay below PostgreSQL's max_connections minus headroom for admin sessions,
// migrations and Temporal's own connections.
type Pool struct {
	MaxConns        int           // most open connections; 0 = unlimited
	MaxIdleConns    int           // most idle connections kept open (≤ MaxConns)
	MaxConnLifetime time.Duration // a connection is closed after this long; 0 = never
	MaxConnIdleTime time.Duration // an idle connection is closed after this long; 0 = never
}

// DefaultPool is the pool of a process that sets nothing: 20 connections, 10 idle, idle ones closed after 5 minutes.
func DefaultPool() Pool {
	return Pool{MaxConns: 20, MaxIdleConns: 10, MaxConnLifetime: time.Hour, MaxConnIdleTime: 5 * time.Minute}
}

// Validate reports settings that cannot work, naming the environment variable.
func (p Pool) Validate() error {
	var errs []error
	if p.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("ROUTEDESK_DB_MAX_CONNS=%d: must be 0 (unlimited) or more", p.MaxConns))
	}
	if p.MaxIdleConns < 0 {
		errs = append(errs, fmt.Errorf("ROUTEDESK_DB_MAX_IDLE_CONNS=%d: must be 0 or more", p.MaxIdleConns))
	}
	if p.MaxConns > 0 && p.MaxIdleConns > p.MaxConns {
		errs = append(errs, fmt.Errorf("ROUTEDESK_DB_MAX_IDLE_CONNS=%d: must not exceed ROUTEDESK_DB_MAX_CONNS=%d", p.MaxIdleConns, p.MaxConns))
	}
	if p.MaxConnLifetime < 0 {
		errs = append(errs, fmt.Errorf("ROUTEDESK_DB_MAX_CONN_LIFETIME=%s: must not be negative", p.MaxConnLifetime))
	}
	if p.MaxConnIdleTime < 0 {
		errs = append(errs, fmt.Errorf("ROUTEDESK_DB_MAX_CONN_IDLE_TIME=%s: must not be negative", p.MaxConnIdleTime))
	}
	return errors.Join(errs...)
}

func (p Pool) apply(db *sqlx.DB) {
	db.SetMaxOpenConns(p.MaxConns)
	db.SetMaxIdleConns(p.MaxIdleConns)
	db.SetConnMaxLifetime(p.MaxConnLifetime)
	db.SetConnMaxIdleTime(p.MaxConnIdleTime)
}
