package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cachedTool is a program that tests and benchmarks run beside andon,
// built from the Go module proxy: pkg@version, with ldflags.
type cachedTool struct {
	name, pkg, version, ldflags string
	// reports returns the version the binary at its argument reports, or
	// "" when there is none.
	reports func(bin string) string
}

// binary returns the tool's binary. The first call on a machine builds it
// with go install into the user's cache directory, which takes a few
// minutes; afterwards the binary is reused as long as it reports the
// version. Only a machine without go, where nothing could be built, skips.
func (c cachedTool) binary(tb testing.TB) string {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		tb.Skipf("go is not on PATH, so %s %s cannot be built: %v", c.name, c.version, err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "andon-test", c.name+"-"+c.version)
	bin := filepath.Join(dir, c.name)
	if c.reports(bin) == c.version {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	// Build into a directory of its own and rename, so that a process
	// running at the same time never sees half a binary.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	out, err := exec.Command(goTool, "env", "GOPROXY").Output()
	if err != nil {
		tb.Fatalf("go env GOPROXY: %v", err)
	}
	proxies := moduleProxies(string(out))
	if proxies == "" {
		tb.Fatalf("GOPROXY %q names no module proxy, and %s %s is built only from one; set GOPROXY=https://proxy.golang.org", strings.TrimSpace(string(out)), c.name, c.version)
	}
	tb.Logf("building %s %s into %s (once per machine)", c.name, c.version, dir)
	cmd := exec.Command(goTool, "install", "-ldflags="+c.ldflags, c.pkg+"@"+c.version)
	cmd.Dir = tmp
	// GONOPROXY (or GOPRIVATE, its default) would send matching modules to
	// their origin; "none" matches no module path.
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOPROXY="+proxies, "GONOPROXY=none")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go install %s@%s: %v\n%s", c.pkg, c.version, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, c.name), bin); err != nil {
		tb.Fatal(err)
	}
	if got := c.reports(bin); got != c.version {
		tb.Fatalf("built %s reports version %q, want %q", c.name, got, c.version)
	}
	return bin
}

// moduleProxies returns the module proxies of a GOPROXY list, without
// "direct": the tools and their modules are fetched from a module proxy
// only, never from their origin's version control, even when the proxy
// does not have them. A list that forbids the network ("off", where the
// list reaches it) stays "off": the module cache alone is used.
// Each proxy keeps the separator before it: "|" falls back to the next
// on any error, "," only when a proxy does not have the module.
func moduleProxies(goproxy string) string {
	var b strings.Builder
	rest, sep := strings.TrimSpace(goproxy), ""
	for rest != "" {
		i := strings.IndexAny(rest, ",|")
		p, next := rest, ""
		if i >= 0 {
			p, next = rest[:i], rest[i:i+1]
			rest = rest[i+1:]
		} else {
			rest = ""
		}
		switch p {
		case "off":
			if b.Len() == 0 {
				return "off"
			}
			return b.String()
		case "direct", "":
		default:
			if b.Len() > 0 {
				b.WriteString(sep)
			}
			b.WriteString(p)
		}
		sep = next
	}
	return b.String()
}

func TestModuleProxies(t *testing.T) {
	for _, tt := range []struct{ goproxy, want string }{
		{"https://proxy.golang.org,direct\n", "https://proxy.golang.org"},
		{"https://goproxy.example.com|https://proxy.golang.org,direct", "https://goproxy.example.com|https://proxy.golang.org"},
		{"https://a.example.com,https://b.example.com|direct", "https://a.example.com,https://b.example.com"},
		{"direct", ""},
		{"off", "off"},
		{"https://goproxy.example.com,off", "https://goproxy.example.com"},
	} {
		if got := moduleProxies(tt.goproxy); got != tt.want {
			t.Errorf("moduleProxies(%q) = %q, want %q", tt.goproxy, got, tt.want)
		}
	}
}
