package devtemporal

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"

	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
)

// sqliteQueryParameters are the connect attributes the sqlite plugin passes as
// URI parameters; every other attribute becomes a `_pragma=key=value`.
var sqliteQueryParameters = map[string]bool{
	"cache": true, "immutable": true, "mode": true, "modeof": true,
	"nolock": true, "psow": true, "setup": true, "vfs": true,
}

// sqlConfig returns the persistence settings for a SQLite file at dbPath, or
// for a fresh in-memory database when dbPath is empty.
func sqlConfig(dbPath string) (*config.SQL, error) {
	cfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		MaxConns:     1,
		MaxIdleConns: 1,
	}
	if dbPath == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("random in-memory database name: %w", err)
		}
		cfg.DatabaseName = "devtemporal-" + hex.EncodeToString(b[:])
		cfg.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		return cfg, nil
	}
	cfg.DatabaseName = dbPath
	cfg.ConnectAttributes = map[string]string{
		"mode":         "rwc",
		"journal_mode": "wal",
		"synchronous":  "NORMAL",
	}
	return cfg, nil
}

// dataSourceName mirrors how the sqlite plugin turns cfg into a modernc.org/sqlite DSN.
func dataSourceName(cfg *config.SQL) string {
	keys := make([]string, 0, len(cfg.ConnectAttributes))
	for k := range cfg.ConnectAttributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := url.Values{}
	for _, k := range keys {
		if sqliteQueryParameters[k] {
			vals.Set(k, cfg.ConnectAttributes[k])
			continue
		}
		vals.Add("_pragma", k+"="+cfg.ConnectAttributes[k])
	}
	vals.Add("_time_format", "sqlite")
	return "file:" + cfg.DatabaseName + "?" + vals.Encode()
}

// prepareDatabaseFile creates the parent directory of a file database and
// sets up the schema when the file does not exist yet.
func prepareDatabaseFile(cfg *config.SQL) error {
	path := cfg.DatabaseName
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create directory for %s: %w", path, err)
	}
	_, err := os.Stat(path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	if err := sqlite.SetupSchema(cfg); err != nil {
		// A half-initialised file would be skipped next time: remove it.
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			_ = os.Remove(p)
		}
		return fmt.Errorf("set up schema in %s: %w", path, err)
	}
	return nil
}
