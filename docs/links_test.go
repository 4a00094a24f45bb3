// Package docs holds the project's documentation; its test keeps the links between the pages true.
package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

var (
	// mdLink is an inline Markdown link or image: [text](target) or ![alt](target "title").
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	// mdHeading is an ATX heading line.
	mdHeading = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
	// codeSpan is inline code, whose brackets are not links.
	codeSpan = regexp.MustCompile("`+[^`]*`+")
	// uriScheme starts an absolute link (https:, mailto:), which is not checked.
	uriScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// slug is the anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lines returns a Markdown file's lines outside fenced code blocks.
func lines(text string) []string {
	var out []string
	fenced := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out = append(out, l)
		}
	}
	return out
}

// anchors are the heading anchors of a Markdown text, a repeated heading's numbered as GitHub does (-1, -2…).
func anchors(text string) map[string]bool {
	out, seen := map[string]bool{}, map[string]int{}
	for _, l := range lines(text) {
		m := mdHeading.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// links are the relative link targets of a Markdown text (web and mail links left out).
func links(text string) []string {
	var out []string
	for _, l := range lines(text) {
		for _, m := range mdLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(l, ""), -1) {
			if t := m[1]; !uriScheme.MatchString(t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// brokenLinks checks every relative link (and #anchor) of the Markdown files under root, slash paths relative
// to it, and returns one line per link that does not resolve.
func brokenLinks(root string, files []string) []string {
	var broken []string
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			broken = append(broken, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		for _, target := range links(string(raw)) {
			p, anchor, _ := strings.Cut(target, "#")
			dest := f
			if p != "" {
				dest = path.Join(path.Dir(f), p)
			}
			text, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(dest)))
			if err != nil {
				if info, statErr := os.Stat(filepath.Join(root, filepath.FromSlash(dest))); statErr == nil && info.IsDir() && anchor == "" {
					continue
				}
				broken = append(broken, fmt.Sprintf("%s: (%s): no file %s", f, target, dest))
				continue
			}
			if anchor != "" && (!strings.HasSuffix(dest, ".md") || !anchors(string(text))[anchor]) {
				broken = append(broken, fmt.Sprintf("%s: (%s): %s has no heading #%s", f, target, dest, anchor))
			}
		}
	}
	return broken
}

// markdownFiles are the documentation's pages: README.md, bench/README.md and every .md under docs/.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md", "bench/README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files[2:])
	return files
}

// Issue 24, point 8: every relative link and #anchor of the README and the docs resolves.
func TestLinksResolve(t *testing.T) {
	files := markdownFiles(t, "..")
	if len(files) < 10 {
		t.Fatalf("only %d Markdown pages found: %q", len(files), files)
	}
	for _, b := range brokenLinks("..", files) {
		t.Error(b)
	}
}

// Issue 24, point 8: every page of docs/ is linked from the README, directly or through a page it links.
func TestEveryPageReachableFromReadme(t *testing.T) {
	files := markdownFiles(t, "..")
	reached := map[string]bool{"README.md": true}
	queue := []string{"README.md"}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		raw, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			continue // TestLinksResolve names the missing page
		}
		for _, target := range links(string(raw)) {
			p, _, _ := strings.Cut(target, "#")
			if dest := path.Join(path.Dir(f), p); p != "" && strings.HasSuffix(dest, ".md") && !reached[dest] {
				reached[dest] = true
				queue = append(queue, dest)
			}
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	direct := map[string]bool{}
	for _, target := range links(string(readme)) {
		p, _, _ := strings.Cut(target, "#")
		direct[path.Clean(p)] = true
	}
	for _, f := range files {
		if !reached[f] && strings.HasPrefix(f, "docs/") {
			t.Errorf("%s is not reachable from README.md", f)
		}
		// Top-level pages and channel pages are the README's own table of contents.
		if dir := path.Dir(f); (dir == "docs" || dir == "docs/channels") && !direct[f] {
			t.Errorf("README.md does not link %s", f)
		}
	}
}

// The checker itself finds a missing file, a missing anchor and an anchor on a repeated heading.
func TestBrokenLinksFindsWhatIsBroken(t *testing.T) {
	root := t.TempDir()
	must := func(name, text string) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must("README.md", "# Top\n\n[ok](docs/a.md#one-owner-per-address-and-proof) [ok](docs/a.md#twice-1) [ok](#top)\n"+
		"[gone](docs/missing.md) [bad anchor](docs/a.md#nowhere) [self](#absent) [web](https://example.com/x)\n"+
		"`[code](not-a-link.md)`\n```\n[fenced](not-a-link.md)\n```\n")
	must("docs/a.md", "# A\n\n## One owner per address, and proof\n\n## Twice\n\n## Twice\n\n[up](../README.md#top)\n")
	got := brokenLinks(root, []string{"README.md", "docs/a.md"})
	want := []string{
		"README.md: (docs/missing.md): no file docs/missing.md",
		"README.md: (docs/a.md#nowhere): docs/a.md has no heading #nowhere",
		"README.md: (#absent): README.md has no heading #absent",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("brokenLinks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := slug("`routedesk dev` memory (`TestDevMemory`, issue 14 targets 6 and 5)"); s != "routedesk-dev-memory-testdevmemory-issue-14-targets-6-and-5" {
		t.Errorf("slug: %q", s)
	}
}
