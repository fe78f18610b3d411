package kubetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
)

// Version is the Kubernetes release whose kube-apiserver Start runs.
const Version = "v1.37.2"

// kubernetesModule is the module kube-apiserver is built from.
const kubernetesModule = "k8s.io/kubernetes"

// apiserverBinary returns the path of a kube-apiserver of Version. The
// first call on a machine builds it into the user's cache directory, which
// takes a quarter of an hour on two cores; afterwards the binary is reused
// as long as it reports Version. A lock file makes test processes that
// start at the same time, such as the packages of one go test run, wait
// for one build instead of each running its own.
func apiserverBinary(tb testing.TB) string {
	tb.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "andon", "kube-apiserver-"+Version)
	bin := filepath.Join(dir, "kube-apiserver")
	if binaryReports(bin) == Version {
		return bin
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		tb.Fatalf("go is not on PATH, so kube-apiserver %s cannot be built: %v", Version, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	unlock, err := lockFile(filepath.Join(dir, "build.lock"))
	if err != nil {
		tb.Fatal(err)
	}
	defer unlock()
	// Another process may have built it while this one waited for the lock.
	if binaryReports(bin) == Version {
		return bin
	}
	tb.Logf("building kube-apiserver %s into %s (once per machine; about 15 minutes on two cores)", Version, dir)
	start := time.Now()
	if err := buildAPIServer(goTool, dir, bin); err != nil {
		tb.Fatalf("build kube-apiserver %s: %v", Version, err)
	}
	tb.Logf("built kube-apiserver %s in %s", Version, time.Since(start).Round(time.Second))
	return bin
}

// buildAPIServer builds kube-apiserver in a throw-away module under dir and
// moves the binary to bin. The module requires k8s.io/kubernetes, whose
// go.mod requires its staging modules (k8s.io/api, k8s.io/apiserver, …) as
// v0.0.0 and replaces them with directories of its own repository. Those
// replacements apply only inside k8s.io/kubernetes, so a module that
// depends on it must replace every one of them with the published version
// of the same release: v0.37.2 for v1.37.2. The list is read from the
// go.mod of the release itself, so that it is complete for any Version.
func buildAPIServer(goTool, dir, bin string) error {
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	goCmd := func(args ...string) *exec.Cmd {
		cmd := exec.Command(goTool, args...)
		cmd.Dir = tmp
		// The build must not see a workspace or flags meant for another
		// module, such as -mod=vendor.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod")
		return cmd
	}

	out, err := goCmd("mod", "download", "-json", kubernetesModule+"@"+Version).Output()
	if err != nil {
		return fmt.Errorf("go mod download %s@%s: %v\n%s", kubernetesModule, Version, err, stderrOf(err))
	}
	var download struct{ GoMod, Error string }
	if err := json.Unmarshal(out, &download); err != nil {
		return fmt.Errorf("go mod download %s@%s: %v", kubernetesModule, Version, err)
	}
	if download.Error != "" {
		return fmt.Errorf("go mod download %s@%s: %s", kubernetesModule, Version, download.Error)
	}
	gomod, err := os.ReadFile(download.GoMod)
	if err != nil {
		return err
	}
	mod, err := consumerModule(download.GoMod, gomod)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), mod, 0o644); err != nil {
		return err
	}

	pkg := kubernetesModule + "/cmd/kube-apiserver"
	if out, err := goCmd("get", pkg+"@"+Version).CombinedOutput(); err != nil {
		return fmt.Errorf("go get %s@%s: %v\n%s", pkg, Version, err, out)
	}
	// The version is stamped as the release build stamps it, so that
	// /version and kube-apiserver --version report Version.
	major, minor, _ := strings.Cut(strings.TrimPrefix(Version, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	ldflags := "-s -w"
	for _, kv := range []string{"gitVersion=" + Version, "gitMajor=" + major, "gitMinor=" + minor, "gitTreeState=clean"} {
		ldflags += " -X k8s.io/component-base/version." + kv
	}
	built := filepath.Join(tmp, "kube-apiserver")
	if out, err := goCmd("build", "-trimpath", "-ldflags="+ldflags, "-o", built, pkg).CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	if got := binaryReports(built); got != Version {
		return fmt.Errorf("the built kube-apiserver reports version %q, want %q", got, Version)
	}
	// Rename, so that a process that does not take the lock, such as one
	// only checking the version, never sees half a binary.
	return os.Rename(built, bin)
}

// consumerModule returns the go.mod of a module that requires
// k8s.io/kubernetes at Version, given the go.mod of that release: it pins
// every module the release requires and replaces with a local directory
// to the published version of the same release.
func consumerModule(name string, kubernetesGoMod []byte) ([]byte, error) {
	k, err := modfile.Parse(name, kubernetesGoMod, nil)
	if err != nil {
		return nil, err
	}
	staging := "v0" + strings.TrimPrefix(Version, "v1")
	required := map[string]bool{}
	for _, r := range k.Require {
		required[r.Mod.Path] = true
	}
	f := new(modfile.File)
	if err := f.AddModuleStmt("kube-apiserver-build"); err != nil {
		return nil, err
	}
	if k.Go != nil {
		if err := f.AddGoStmt(k.Go.Version); err != nil {
			return nil, err
		}
	}
	f.AddNewRequire(kubernetesModule, Version, false)
	n := 0
	for _, r := range k.Replace {
		// Modules replaced but not required, such as the sample
		// controllers, are never built and not all are published.
		if r.New.Version != "" || !modfile.IsDirectoryPath(r.New.Path) || !required[r.Old.Path] {
			continue
		}
		if err := f.AddReplace(r.Old.Path, "", r.Old.Path, staging); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no staging modules replaced with directories; the layout of k8s.io/kubernetes has changed", name)
	}
	return f.Format()
}

// binaryReports returns the version the kube-apiserver at bin reports, or
// "" when there is none.
func binaryReports(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "Kubernetes ")
}

// stderrOf returns what a command that failed wrote to its standard error.
func stderrOf(err error) []byte {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return nil
}
