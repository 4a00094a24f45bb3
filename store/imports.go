package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// Import states (domain's, named here for the store's callers).
const (
	ImportUploading = domain.ImportUploading
	ImportRunning   = domain.ImportRunning
	ImportCompleted = domain.ImportCompleted
	ImportFailed    = domain.ImportFailed
	ImportCancelled = domain.ImportCancelled
)

// ImportChunkBytes is the size of the chunks an uploaded import file is stored in.
const ImportChunkBytes = 1 << 20

// maxImportErrors is how many skipped lines an import lists (the count goes on).
const maxImportErrors = 1000

// NewImport is an import about to receive its file.
type NewImport struct {
	AccountID      string
	ChannelID      string
	Format         string
	DryRun         bool
	IncludeHistory bool
	RecentHours    int
}

// WouldCreate is what a dry run counted.
type WouldCreate struct {
	Conversations    int `json:"conversations"`
	Messages         int `json:"messages"`
	Tickets          int `json:"tickets"`
	NewContacts      int `json:"new_contacts"`
	UnknownAssignees int `json:"unknown_assignees"`
}

// Add sums two counts.
func (w WouldCreate) Add(o WouldCreate) WouldCreate {
	return WouldCreate{w.Conversations + o.Conversations, w.Messages + o.Messages, w.Tickets + o.Tickets,
		w.NewContacts + o.NewContacts, w.UnknownAssignees + o.UnknownAssignees}
}

// ImportError is a skipped line and why.
type ImportError struct {
	Line    int64  `json:"line" db:"line"`
	Message string `json:"message" db:"message"`
}

// Import is an import's state and progress.
type Import struct {
	ID             string        `json:"id" db:"id"`
	ChannelID      string        `json:"channel_id" db:"channel_id"`
	Format         string        `json:"format" db:"format"`
	DryRun         bool          `json:"dry_run" db:"dry_run"`
	IncludeHistory bool          `json:"include_history" db:"include_history"`
	RecentHours    int           `json:"recent_hours" db:"recent_hours"`
	WorkflowID     string        `json:"workflow_id" db:"workflow_id"`
	State          string        `json:"state" db:"state"`
	SizeBytes      int64         `json:"size_bytes" db:"size_bytes"`
	BytesDone      int64         `json:"bytes_done" db:"bytes_done"`
	Total          int           `json:"total" db:"total"`
	Imported       int           `json:"imported" db:"imported"`
	Skipped        int           `json:"skipped" db:"skipped"`
	WouldCreate    *WouldCreate  `json:"would_create,omitempty" db:"-"`
	Failure        string        `json:"failure,omitempty" db:"failure"`
	Errors         []ImportError `json:"errors" db:"-"`
	CreatedAt      time.Time     `json:"created_at" db:"created_at"`
	StartedAt      *time.Time    `json:"started_at" db:"started_at"`
	FinishedAt     *time.Time    `json:"finished_at" db:"finished_at"`

	AccountID string          `json:"-" db:"account_id"`
	Would     json.RawMessage `json:"-" db:"would_create"`
}

const importColumns = `id, account_id, channel_id, format, dry_run, include_history, recent_hours, workflow_id, state,
	size_bytes, bytes_done, total, imported, skipped, COALESCE(would_create, 'null') AS would_create, failure,
	created_at, started_at, finished_at`

// CreateImport records an import in state uploading; workflowID names its workflow from its id.
func (s *Store) CreateImport(ctx context.Context, in NewImport, workflowID func(id string) string) (Import, error) {
	id := NewID("imp")
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO imports (id, account_id, channel_id, format, dry_run, include_history, recent_hours, workflow_id)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, in.AccountID, in.ChannelID, in.Format, in.DryRun, in.IncludeHistory, in.RecentHours, workflowID(id))
	if isUniqueViolation(err, "imports_one_mailbox_backfill") {
		return Import{}, fmt.Errorf("a backfill of this channel's mailbox is running already: %w", domain.ErrConflict)
	}
	if err != nil {
		return Import{}, fmt.Errorf("create import: %w", err)
	}
	return s.Import(ctx, in.AccountID, id)
}

// ErrImportTooLarge means an uploaded file exceeds the limit it was stored with.
var ErrImportTooLarge = errors.New("the import file exceeds the size limit")

// StoreImportFile streams r into the import's chunks, never holding more than
// one chunk in memory, and returns its size; beyond maxBytes it stops with ErrImportTooLarge.
func (s *Store) StoreImportFile(ctx context.Context, importID string, r io.Reader, maxBytes int64) (int64, error) {
	buf := make([]byte, ImportChunkBytes)
	var size int64
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			size += int64(n)
			if size > maxBytes {
				return size, ErrImportTooLarge
			}
			if _, err := s.db.ExecContext(ctx, `INSERT INTO import_chunks (import_id, seq, data) VALUES ($1, $2, $3)`,
				importID, seq, buf[:n]); err != nil {
				return size, fmt.Errorf("store import chunk %d: %w", seq, err)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return size, fmt.Errorf("read import file: %w", err)
		}
	}
	_, err := s.db.ExecContext(ctx, `UPDATE imports SET size_bytes = $2 WHERE id = $1`, importID, size)
	if err != nil {
		return size, fmt.Errorf("record import size: %w", err)
	}
	return size, nil
}

// StartImport moves an uploaded import to running.
func (s *Store) StartImport(ctx context.Context, importID string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE imports SET state = 'running', started_at = now() WHERE id = $1 AND state = 'uploading'`, importID)
	if err != nil {
		return fmt.Errorf("start import: %w", err)
	}
	return nil
}

// DeleteImport removes an import and its file (an upload that failed).
func (s *Store) DeleteImport(ctx context.Context, importID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM imports WHERE id = $1`, importID); err != nil {
		return fmt.Errorf("delete import: %w", err)
	}
	return nil
}

// ImportFile reads an import's stored file from offset on, one chunk at a time.
func (s *Store) ImportFile(ctx context.Context, importID string, offset int64) io.Reader {
	return &chunkReader{ctx: ctx, db: s.db, importID: importID, seq: int(offset / ImportChunkBytes), skip: int(offset % ImportChunkBytes)}
}

type chunkReader struct {
	ctx      context.Context
	db       *sqlx.DB
	importID string
	seq      int
	skip     int
	buf      []byte
	eof      bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		var data []byte
		err := r.db.GetContext(r.ctx, &data, `SELECT data FROM import_chunks WHERE import_id = $1 AND seq = $2`, r.importID, r.seq)
		if errors.Is(err, sql.ErrNoRows) {
			r.eof = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read import chunk %d: %w", r.seq, err)
		}
		r.seq++
		if r.skip > 0 {
			data = data[min(r.skip, len(data)):]
			r.skip = 0
		}
		r.buf = data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// ImportProgress is how far an import has come.
type ImportProgress struct {
	BytesDone   int64        `json:"bytes_done"`
	Total       int          `json:"total"`
	Imported    int          `json:"imported"`
	Skipped     int          `json:"skipped"`
	WouldCreate *WouldCreate `json:"would_create,omitempty"`
}

// SetImportProgress records an import's progress (absolute counts, so a repeat changes nothing).
func (s *Store) SetImportProgress(ctx context.Context, importID string, p ImportProgress) error {
	var would any
	if p.WouldCreate != nil {
		b, _ := json.Marshal(p.WouldCreate)
		would = b
	}
	_, err := s.db.ExecContext(ctx,
		`UPDATE imports SET bytes_done = $2, total = $3, imported = $4, skipped = $5, would_create = $6 WHERE id = $1`,
		importID, p.BytesDone, p.Total, p.Imported, p.Skipped, would)
	if err != nil {
		return fmt.Errorf("record import progress: %w", err)
	}
	return nil
}

// FinishImport records an import's end state (completed, failed or cancelled) once.
func (s *Store) FinishImport(ctx context.Context, importID, state, failure string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE imports SET state = $2, failure = $3, finished_at = now() WHERE id = $1 AND finished_at IS NULL`,
		importID, state, failure)
	if err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	// The file and a dry run's bookkeeping are no longer needed once the import has ended.
	for _, table := range []string{"import_chunks", "import_seen"} {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE import_id = $1`, importID); err != nil {
			return fmt.Errorf("drop %s of import: %w", table, err)
		}
	}
	return nil
}

// AddImportError records a skipped line (idempotent; the list is capped, the count is not).
func (s *Store) AddImportError(ctx context.Context, importID string, line int64, message string) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO import_errors (import_id, line, message)
		 SELECT $1, $2, $3 WHERE (SELECT count(*) FROM import_errors WHERE import_id = $1) < $4
		 ON CONFLICT DO NOTHING`, importID, line, message, maxImportErrors)
	if err != nil {
		return fmt.Errorf("record import error: %w", err)
	}
	return nil
}

// Import returns one import of the account with its errors.
func (s *Store) Import(ctx context.Context, accountID, id string) (Import, error) {
	var im Import
	if err := s.db.GetContext(ctx, &im, `SELECT `+importColumns+` FROM imports WHERE id = $1 AND account_id = $2`, id, accountID); err != nil {
		return Import{}, notFound(err, "get import")
	}
	if err := im.decode(); err != nil {
		return Import{}, err
	}
	im.Errors = []ImportError{}
	if err := s.db.SelectContext(ctx, &im.Errors, `SELECT line, message FROM import_errors WHERE import_id = $1 ORDER BY line`, id); err != nil {
		return Import{}, fmt.Errorf("list import errors: %w", err)
	}
	return im, nil
}

// ListImports returns a page of the account's imports, newest first (errors not included).
func (s *Store) ListImports(ctx context.Context, accountID string, page Page) ([]Import, error) {
	var out []Import
	q := `SELECT ` + importColumns + ` FROM imports WHERE account_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`
	if err := s.db.SelectContext(ctx, &out, q, accountID, page.After, page.Limit); err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	for i := range out {
		if err := out[i].decode(); err != nil {
			return nil, err
		}
		out[i].Errors = []ImportError{}
	}
	return out, nil
}

func (im *Import) decode() error {
	if len(im.Would) > 0 && string(im.Would) != "null" {
		im.WouldCreate = &WouldCreate{}
		if err := json.Unmarshal(im.Would, im.WouldCreate); err != nil {
			return fmt.Errorf("decode dry-run counts of %s: %w", im.ID, err)
		}
	}
	return nil
}

// SeenFirst records that a dry run saw key (of kind) on line and reports
// whether line is the first to see it: a repeat of the same line says yes again.
func (s *Store) SeenFirst(ctx context.Context, importID, kind, key string, line int64) (bool, error) {
	var first int64
	err := s.db.GetContext(ctx, &first,
		`INSERT INTO import_seen (import_id, kind, key_hash, line) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (import_id, kind, key_hash) DO UPDATE SET line = import_seen.line RETURNING line`,
		importID, kind, keyHash(key), line)
	if err != nil {
		return false, fmt.Errorf("record dry-run key: %w", err)
	}
	return first == line, nil
}
