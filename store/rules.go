package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/rules"
)

// StoredRule is a rule with its timestamps.
type StoredRule struct {
	rules.Rule
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

const ruleColumns = `id, name, kind, channel_id, "when", set, require_skills, priority, enabled, stop_processing, version, created_at, updated_at`

type ruleRow struct {
	ID             string          `db:"id"`
	Name           string          `db:"name"`
	Kind           string          `db:"kind"`
	ChannelID      sql.NullString  `db:"channel_id"`
	When           string          `db:"when"`
	Set            json.RawMessage `db:"set"`
	RequireSkills  textArray       `db:"require_skills"`
	Priority       int             `db:"priority"`
	Enabled        bool            `db:"enabled"`
	StopProcessing bool            `db:"stop_processing"`
	Version        int             `db:"version"`
	CreatedAt      time.Time       `db:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at"`
}

func (r ruleRow) rule() (StoredRule, error) {
	out := StoredRule{Rule: rules.Rule{
		ID: r.ID, Version: r.Version, Name: r.Name, Kind: rules.Kind(r.Kind), ChannelID: r.ChannelID.String,
		When: r.When, RequireSkills: nonNil([]string(r.RequireSkills)), Priority: r.Priority, Enabled: r.Enabled,
		StopProcessing: r.StopProcessing,
	}, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal(r.Set, &out.Set); err != nil {
		return out, fmt.Errorf("decode set of rule %s: %w", r.ID, err)
	}
	return out, nil
}

func bumpRulesVersion(ctx context.Context, tx *sqlx.Tx, accountID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET rules_version = rules_version + 1 WHERE id = $1`, accountID); err != nil {
		return fmt.Errorf("bump rules version: %w", err)
	}
	return nil
}

func checkRuleChannel(ctx context.Context, tx *sqlx.Tx, accountID, channelID string) error {
	if channelID == "" {
		return nil
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM channels WHERE id = $1 AND account_id = $2)`, channelID, accountID); err != nil {
		return fmt.Errorf("look up rule channel: %w", err)
	}
	if !exists {
		return domain.Invalid("channel_id", "channel "+channelID+" does not exist in this account")
	}
	return nil
}

// CreateRule stores a new rule of the account at version 1.
func (s *Store) CreateRule(ctx context.Context, accountID string, r rules.Rule) (StoredRule, error) {
	set, _ := json.Marshal(orEmpty(r.Set))
	var row ruleRow
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkRuleChannel(ctx, tx, accountID, r.ChannelID); err != nil {
			return err
		}
		if err := tx.QueryRowxContext(ctx,
			`INSERT INTO rules (id, account_id, name, kind, channel_id, "when", set, require_skills, priority, enabled, stop_processing)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+ruleColumns,
			NewID("rule"), accountID, r.Name, string(r.Kind), nullable(r.ChannelID), r.When, set, nonNil(r.RequireSkills),
			r.Priority, r.Enabled, r.StopProcessing).StructScan(&row); err != nil {
			return fmt.Errorf("insert rule: %w", err)
		}
		return bumpRulesVersion(ctx, tx, accountID)
	})
	if err != nil {
		return StoredRule{}, fmt.Errorf("create rule: %w", err)
	}
	return row.rule()
}

// UpdateRule replaces a rule's fields and increments its version.
func (s *Store) UpdateRule(ctx context.Context, accountID string, r rules.Rule) (StoredRule, error) {
	set, _ := json.Marshal(orEmpty(r.Set))
	var row ruleRow
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkRuleChannel(ctx, tx, accountID, r.ChannelID); err != nil {
			return err
		}
		if err := tx.QueryRowxContext(ctx,
			`UPDATE rules SET name = $3, kind = $4, channel_id = $5, "when" = $6, set = $7, require_skills = $8,
			        priority = $9, enabled = $10, stop_processing = $11, version = version + 1, updated_at = now()
			  WHERE id = $1 AND account_id = $2 RETURNING `+ruleColumns,
			r.ID, accountID, r.Name, string(r.Kind), nullable(r.ChannelID), r.When, set, nonNil(r.RequireSkills),
			r.Priority, r.Enabled, r.StopProcessing).StructScan(&row); err != nil {
			return notFound(err, "update rule")
		}
		return bumpRulesVersion(ctx, tx, accountID)
	})
	if err != nil {
		return StoredRule{}, fmt.Errorf("update rule: %w", err)
	}
	return row.rule()
}

// Rule returns one rule of the account.
func (s *Store) Rule(ctx context.Context, accountID, id string) (StoredRule, error) {
	var row ruleRow
	if err := s.db.GetContext(ctx, &row, `SELECT `+ruleColumns+` FROM rules WHERE id = $1 AND account_id = $2`, id, accountID); err != nil {
		return StoredRule{}, notFound(err, "get rule")
	}
	return row.rule()
}

// ListRules returns a page of the account's rules, oldest first.
func (s *Store) ListRules(ctx context.Context, accountID string, page Page) ([]StoredRule, error) {
	var rows []ruleRow
	if err := s.db.SelectContext(ctx, &rows,
		`SELECT `+ruleColumns+` FROM rules WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		accountID, page.After, page.Limit); err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	out := make([]StoredRule, 0, len(rows))
	for _, r := range rows {
		sr, err := r.rule()
		if err != nil {
			return nil, err
		}
		out = append(out, sr)
	}
	return out, nil
}

// DeleteRule removes a rule of the account.
func (s *Store) DeleteRule(ctx context.Context, accountID, id string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM rules WHERE id = $1 AND account_id = $2`, id, accountID)
		if err != nil {
			return fmt.Errorf("delete rule: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("delete rule: %w", domain.ErrNotFound)
		}
		return bumpRulesVersion(ctx, tx, accountID)
	})
}

// RuleSet is a consistent snapshot of all the account's rules and the rule set version.
func (s *Store) RuleSet(ctx context.Context, accountID string) (rules.RuleSet, error) {
	// Each statement reads one snapshot, and a rule edit bumps the version in its
	// own transaction: a statement that reads the version with the rules (or with
	// their absence) is consistent without a lock. One round trip when the account
	// has no rules, two when it has.
	var head struct {
		Version  int64 `db:"rules_version"`
		HasRules bool  `db:"has_rules"`
	}
	err := s.db.GetContext(ctx, &head,
		`SELECT rules_version, EXISTS (SELECT 1 FROM rules WHERE account_id = a.id) AS has_rules FROM accounts a WHERE id = $1`, accountID)
	if err != nil {
		return rules.RuleSet{}, fmt.Errorf("rule set: %w", notFound(err, "read rules version"))
	}
	if !head.HasRules {
		return rules.RuleSet{Version: head.Version}, nil
	}
	var rows []struct {
		SetVersion int64 `db:"set_version"`
		ruleRow
	}
	if err := s.db.SelectContext(ctx, &rows,
		`SELECT a.rules_version AS set_version, `+prefixed("r.", ruleColumns)+`
		   FROM rules r JOIN accounts a ON a.id = r.account_id WHERE r.account_id = $1 ORDER BY r.id`, accountID); err != nil {
		return rules.RuleSet{}, fmt.Errorf("rule set: read rules: %w", err)
	}
	if len(rows) == 0 {
		return s.lockedRuleSet(ctx, accountID) // the rules were deleted in between
	}
	set := rules.RuleSet{Version: rows[0].SetVersion}
	for _, r := range rows {
		sr, err := r.rule()
		if err != nil {
			return rules.RuleSet{}, fmt.Errorf("rule set: %w", err)
		}
		set.Rules = append(set.Rules, sr.Rule)
	}
	return set, nil
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// lockedRuleSet reads the rule set in a transaction that holds the account's
// row, so the version cannot change between its two reads.
func (s *Store) lockedRuleSet(ctx context.Context, accountID string) (rules.RuleSet, error) {
	var set rules.RuleSet
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &set.Version, `SELECT rules_version FROM accounts WHERE id = $1 FOR SHARE`, accountID); err != nil {
			return notFound(err, "read rules version")
		}
		var rows []ruleRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+ruleColumns+` FROM rules WHERE account_id = $1 ORDER BY id`, accountID); err != nil {
			return fmt.Errorf("read rules: %w", err)
		}
		for _, r := range rows {
			sr, err := r.rule()
			if err != nil {
				return err
			}
			set.Rules = append(set.Rules, sr.Rule)
		}
		return nil
	})
	if err != nil {
		return rules.RuleSet{}, fmt.Errorf("rule set: %w", err)
	}
	return set, nil
}
