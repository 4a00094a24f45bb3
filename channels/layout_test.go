package channels_test

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/routedesk/routedesk"

// shared are the packages under channels/ that every channel may use; the others are channel packages.
var shared = []string{"channels", "channels/traits", "channels/meta", "channels/meta/graph", "channels/meta/webhook", "channels/channeltest", "channels/registry"}

// forbiddenForChannels are the layers a channel package must never reach, directly or not.
var forbiddenForChannels = []string{"server", "workflows", "activities", "worker", "cmd"}

// allowedOutside are the channels/ packages the rest of routedesk may import; workflows may import only channels/traits.
var allowedOutside = []string{"channels", "channels/registry", "channels/traits", "channels/meta/graph"}

// TestLayout enforces the dependency rules of docs/architecture.md: channels/* may use store,
// domain and the shared channel helpers, never server, workflows, activities or
// worker; channel packages do not import each other; only the registry names
// them; workflows see nothing of channels but the traits table, and nothing of
// store (their payloads are the activities' types, so a store change cannot break replay).
func TestLayout(t *testing.T) {
	imports := moduleImports(t)
	require := func(ok bool, format string, args ...any) {
		t.Helper()
		if !ok {
			t.Errorf(format, args...)
		}
	}
	for pkg := range imports {
		if under(pkg, "workflows") {
			for _, imp := range imports[pkg] {
				require(!under(imp, "store"), "%s imports %s: workflow payloads are the activities' types, never the store's", pkg, imp)
			}
		}
		if !under(pkg, "channels") {
			for _, imp := range imports[pkg] {
				if under(imp, "channels") {
					allowed := slices.Contains(allowedOutside, imp)
					if under(pkg, "workflows") {
						allowed = imp == "channels/traits"
					}
					require(allowed, "%s imports %s: outside channels/ only %v may be imported (workflows: channels/traits)", pkg, imp, allowedOutside)
				}
			}
			continue
		}
		for _, dep := range closure(imports, pkg) {
			for _, bad := range forbiddenForChannels {
				require(!under(dep, bad), "%s depends on %s: channel packages never reach %v", pkg, dep, forbiddenForChannels)
			}
		}
		if pkg == "channels/registry" {
			continue
		}
		for _, imp := range imports[pkg] {
			if under(imp, "channels") && !slices.Contains(shared, imp) && channelOf(imp) != channelOf(pkg) {
				require(false, "%s imports the channel package %s: only channels/registry lists channels", pkg, imp)
			}
		}
	}
	require(len(imports["channels/registry"]) > 0, "go list did not see channels/registry")
}

// TestWorkflowFilesNameNoStore extends TestLayout's "workflows never import store" to the workflow
// code of other packages (imports, privacy): a non-test file that imports the SDK's workflow package
// never imports store, so what such a workflow keeps in its history is its own contract's types.
func TestWorkflowFilesNameNoStore(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go tool on PATH: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-f", "{{.Dir}}{{range .GoFiles}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, name := range fields[1:] {
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(fields[0], name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			var workflowCode, storeTypes bool
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				workflowCode = workflowCode || path == "go.temporal.io/sdk/workflow"
				storeTypes = storeTypes || path == module+"/store"
			}
			if workflowCode {
				checked++
				if storeTypes {
					t.Errorf("%s imports both the SDK's workflow package and store: workflow payloads are the workflow's contract types, never the store's", filepath.Join(fields[0], name))
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no workflow code: the check checks nothing")
	}
}

// forbiddenFor are the layers a shared package must never reach, directly or not: the HTTP
// toolkit knows nothing of the server or the store, and the redelivery loop is given its
// delivery by the server rather than reaching into it.
var forbiddenFor = map[string][]string{
	"internal/httpx": {"server", "store"},
	"redelivery":     {"server"},
}

// TestLayoutOfSharedPackages enforces forbiddenFor.
func TestLayoutOfSharedPackages(t *testing.T) {
	imports := moduleImports(t)
	for pkg, forbidden := range forbiddenFor {
		if _, ok := imports[pkg]; !ok {
			t.Errorf("go list did not see %s", pkg)
			continue
		}
		for _, dep := range append(closure(imports, pkg), pkg) {
			for _, bad := range forbidden {
				if under(dep, bad) {
					t.Errorf("%s depends on %s: it never reaches %v", pkg, dep, forbidden)
				}
			}
		}
	}
}

// channelOf names the channel a package under channels/ belongs to ("messenger" for channels/messenger/x), "" for shared ones.
func channelOf(pkg string) string {
	if slices.Contains(shared, pkg) {
		return ""
	}
	parts := strings.Split(pkg, "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// under reports whether pkg is dir or below it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// closure returns every module package pkg depends on, directly or not.
func closure(imports map[string][]string, pkg string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, imp := range imports[p] {
			if !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(pkg)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// moduleImports lists, for every non-test package of the module, its imports within the module, relative to the module path.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go tool on PATH: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		imports[pkg] = nil
		for _, imp := range fields[1:] {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				imports[pkg] = append(imports[pkg], rel)
			}
		}
	}
	return imports
}
