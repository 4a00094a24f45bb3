package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// pgCluster is a throw-away PostgreSQL cluster of the installed server
// binaries (initdb + pg_ctl on a free port, run as the postgres OS user), for
// suites that stop PostgreSQL. The shared server on 5432 is never touched.
type pgCluster struct {
	t    *testing.T
	bin  string
	dir  string
	port int
}

// newPGCluster initialises and starts a cluster; it is stopped and removed with the test.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
	}
	sort.Strings(bins)
	pgUser, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no postgres OS user to run a throw-away cluster: %v", err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	dir, err := os.MkdirTemp("", "routedesk-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatalf("hand %s to the postgres user: %v", dir, err)
	}
	c := &pgCluster{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: freePort(t)}
	t.Cleanup(func() {
		_ = c.pgctl("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	if out, err := c.asPostgres(filepath.Join(c.bin, "initdb"), "-D", c.data(), "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start()
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the connection URL of database name on this cluster.
func (c *pgCluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=3", c.port, name)
}

func (c *pgCluster) asPostgres(name string, args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
}

func (c *pgCluster) pgctl(args ...string) error {
	full := append([]string{"-D", c.data(), "-w", "-t", "60"}, args...)
	out, err := c.asPostgres(filepath.Join(c.bin, "pg_ctl"), full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %w\n%s", args, err, out)
	}
	return nil
}

// start starts the cluster on its port and waits until it accepts connections.
func (c *pgCluster) start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60", c.port, c.dir)
	started := time.Now()
	if err := c.pgctl("start", "-l", filepath.Join(c.dir, "log"), "-o", opts); err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("throw-away PostgreSQL on port %d started in %s", c.port, time.Since(started).Round(time.Millisecond))
}

// stop stops the cluster (fast shutdown: open connections are cut).
func (c *pgCluster) stop() {
	c.t.Helper()
	if err := c.pgctl("stop", "-m", "fast"); err != nil {
		c.t.Fatal(err)
	}
}
