package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a throw-away PostgreSQL cluster of the test's own, for tests
// that stop and start the database (outages, chaos); tests that only need a
// database use DatabaseURL on the shared server instead.
//
// ThrowawayPostgres runs `initdb` from the installed server binaries
// (/usr/lib/postgresql/*/bin, the newest version, or $ROUTEDESK_PG_BIN) into a
// fresh directory under os.TempDir and starts `postgres` on a free port of
// 127.0.0.1, trusting local connections for the user postgres. When the test
// runs as root, both run as the `postgres` OS user (PostgreSQL refuses to run
// as root). The server is a child of the test process (like `pg_ctl start`,
// but it dies with the test binary) and is stopped, and its directory
// removed, when the test ends. Stop and Start may be called any number of
// times: the data survive, the port stays the same.
type Postgres struct {
	t       testing.TB
	bin     string
	dir     string // owns data/, the socket and the log
	port    int
	cred    *syscall.Credential
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile *os.File
}

// ThrowawayPostgres creates and starts a private PostgreSQL cluster; the test
// is skipped when no PostgreSQL server binaries are installed.
func ThrowawayPostgres(t testing.TB) *Postgres {
	t.Helper()
	Integration(t)
	bin, err := postgresBin()
	if err != nil {
		t.Skipf("throw-away PostgreSQL: %v", err)
	}
	p := &Postgres{t: t, bin: bin}
	if os.Geteuid() == 0 {
		if p.cred, err = postgresUser(); err != nil {
			t.Skipf("throw-away PostgreSQL: %v", err)
		}
	}
	// Not t.TempDir: its parents are private to root, and the server may run as another user.
	if p.dir, err = os.MkdirTemp("", "routedesk-pg-"); err != nil {
		t.Fatalf("throw-away PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		p.Stop()
		_ = os.RemoveAll(p.dir)
	})
	if p.cred != nil {
		if err := os.Chown(p.dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatalf("throw-away PostgreSQL: %v", err)
		}
	}
	p.port = freeTCPPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", p.dataDir(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("throw-away PostgreSQL: initdb: %v\n%s", err, out)
	}
	p.Start()
	return p
}

// URL is the URL of the cluster's postgres database.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// DatabaseURL is the URL of database name on the cluster (store.Open creates it when missing).
func (p *Postgres) DatabaseURL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
}

// Port is the TCP port the cluster listens on.
func (p *Postgres) Port() int { return p.port }

// Start starts the server and waits until it accepts connections; it is a
// no-op while the server runs.
func (p *Postgres) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	logFile, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatalf("throw-away PostgreSQL: %v", err)
	}
	p.logFile = logFile
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.dataDir(), "-p", strconv.Itoa(p.port), "-k", p.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=100", "-c", "shared_buffers=16MB")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Pdeathsig: the server goes when the test binary goes, even if it crashes before its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("throw-away PostgreSQL: start postgres: %v", err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); close(exited) }(p.exited)
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.URL())
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return
		}
		cancel()
		select {
		case <-p.exited:
			p.cmd = nil
			p.t.Fatalf("throw-away PostgreSQL exited during start-up:\n%s", p.log())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("throw-away PostgreSQL did not accept connections within 90s: %v\n%s", err, p.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop shuts the server down (fast shutdown: open sessions are disconnected)
// and waits until it has exited; it is a no-op while the server is stopped.
func (p *Postgres) Stop() { p.signal(syscall.SIGINT) }

// Kill stops the server as a crash would (SIGKILL, no shutdown checkpoint);
// the next Start recovers from the write-ahead log.
func (p *Postgres) Kill() { p.signal(syscall.SIGKILL) }

func (p *Postgres) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	pid := p.cmd.Process.Pid
	if sig == syscall.SIGKILL {
		_ = syscall.Kill(-pid, sig) // the postmaster's whole process group: backends too
	} else {
		_ = p.cmd.Process.Signal(sig)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.exited
	}
	if sig == syscall.SIGKILL {
		// Wait for orphaned backends of the group to go, so the next start finds no old shared memory users.
		for i := 0; i < 100 && syscall.Kill(-pid, 0) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	}
	p.cmd = nil
	_ = p.logFile.Close()
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }

func (p *Postgres) logPath() string { return filepath.Join(p.dir, "postgres.log") }

// log is the tail of the server's log, for failure messages.
func (p *Postgres) log() string {
	b, _ := os.ReadFile(p.logPath())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// postgresBin finds the directory of initdb and postgres: $ROUTEDESK_PG_BIN,
// else the newest /usr/lib/postgresql/*/bin, else the directory of an initdb on $PATH.
func postgresBin() (string, error) {
	if dir := os.Getenv("ROUTEDESK_PG_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if path, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(path), nil
	}
	return "", errors.New("no initdb found: install the PostgreSQL server package or set ROUTEDESK_PG_BIN")
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// postgresUser is the credential of the `postgres` OS user, which root runs the server as.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres OS user to run the server as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freeTCPPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
