package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSlimBuildLinksNoTemporalServer: the production build (-tags slim, the Dockerfile's) reaches none of
// the embedded engine's packages (Temporal server and UI, and the cloud SDKs they bring), the dev build does.
func TestSlimBuildLinksNoTemporalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("go list of the whole dependency graph")
	}
	deps := func(tags ...string) []string {
		args := append([]string{"list"}, tags...)
		out, err := exec.Command("go", append(args, "-deps", ".")...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %v: %v\n%s", tags, err, out)
		}
		return strings.Fields(string(out))
	}
	heavy := []string{"go.temporal.io/server", "github.com/temporalio/ui-server", "github.com/aws/aws-sdk-go", "k8s.io/", "cloud.google.com/go"}
	count := func(pkgs []string) (n int) {
		for _, p := range pkgs {
			for _, h := range heavy {
				if strings.HasPrefix(p, h) {
					n++
					break
				}
			}
		}
		return n
	}
	slim, dev := deps("-tags", "slim"), deps()
	if n := count(slim); n != 0 {
		t.Errorf("the slim build reaches %d packages of the embedded engine", n)
	}
	if count(dev) == 0 {
		t.Error("the dev build reaches no Temporal server package: is the embedded engine still built in?")
	}
	t.Logf("dependencies: dev build %d packages, slim build %d", len(dev), len(slim))
}
