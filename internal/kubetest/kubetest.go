// Package kubetest runs a real Kubernetes API server for end-to-end tests:
// etcd from Debian's etcd-server package and a kube-apiserver built from
// the k8s.io/kubernetes module through the Go module proxy, both on
// loopback. There is no controller manager, scheduler or kubelet, so
// objects are validated, admitted (admission webhooks included) and stored,
// but nothing acts on them: a Deployment is never rolled out, and a
// namespace gets no default ServiceAccount, so creating a Pod is refused
// until the test creates one.
//
// The API server calls admission webhooks given by URL on loopback, such
// as a test's https server on 127.0.0.1. It learns of a new webhook configuration through a
// watch, so a request made right after registering one may pass without
// it; the package's own test waits with dry-run requests, which call a
// webhook without side effects but store nothing. A denial reaches the
// client as "admission webhook NAME denied the request: MESSAGE", with
// HTTP status 400 unless the webhook's status names another.
//
// These tests are opt in. Start skips unless ANDON_TEST_K8S=1, which make
// test-k8s sets, and fails when it is set but the cluster cannot be
// started, so that a run that asked for Kubernetes never passes by
// skipping.
//
// The first Start on a machine builds kube-apiserver into the user's cache
// directory, which takes about a quarter of an hour on two cores, longer
// than go test's default -timeout of 10m; make test-k8s allows an hour.
// Later runs reuse the binary, and a start then takes a few seconds.
package kubetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// EnvK8s names the environment variable that enables the tests against a
// real API server: they run when it is "1" and skip otherwise.
const EnvK8s = "ANDON_TEST_K8S"

// serviceCIDR is the cluster's range of Service IPs; the API server takes
// its first address for the kubernetes Service.
const serviceCIDR = "10.0.0.0/24"

// Cluster is a running API server and its etcd, stopped when the test that
// started it ends.
type Cluster struct {
	// Kubeconfig is the path of a kubeconfig file whose current context
	// is the cluster's administrator, for code that loads kubeconfig
	// files and for kubectl.
	Kubeconfig string
	// Config is the administrator's client configuration, a client
	// certificate in the group system:masters. Copy it with
	// rest.CopyConfig before changing it.
	Config *rest.Config
}

// Start starts etcd and kube-apiserver, each with its own data and ports,
// waits until the API server is ready and stops both when tb ends. It
// skips tb unless ANDON_TEST_K8S=1 and fails it when etcd is not
// installed. Every call starts a new cluster; a test that needs only a
// fresh namespace can share one.
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	if os.Getenv(EnvK8s) != "1" {
		tb.Skipf("%s is not 1: skipping the test against a real Kubernetes API server (make test-k8s runs it)", EnvK8s)
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		tb.Fatalf("%s=1 but etcd is not installed: run apt-get install -y etcd-server (make test-k8s does): %v", EnvK8s, err)
	}
	apiserver := apiserverBinary(tb)
	dir := tb.TempDir()
	began := time.Now()
	// The API server's serving certificate names the kubernetes Service's
	// address, the first of serviceCIDR, as a real cluster's does.
	p, err := newPKI(dir, net.IPv4(10, 0, 0, 1))
	if err != nil {
		tb.Fatal(err)
	}

	etcdURL := startWithRetry(tb, func() (*server, string, error) { return startEtcd(etcd, dir) })
	url := startWithRetry(tb, func() (*server, string, error) { return startAPIServer(apiserver, dir, etcdURL, p) })

	c := &Cluster{
		Kubeconfig: filepath.Join(dir, "kubeconfig"),
		Config: &rest.Config{
			Host: url,
			TLSClientConfig: rest.TLSClientConfig{
				CAData:   p.caPEM,
				CertData: p.adminCertPEM,
				KeyData:  p.adminKeyPEM,
			},
			// Tests create objects in bursts; client-go's default
			// limit of five requests a second would make them wait.
			QPS:   1000,
			Burst: 2000,
		},
	}
	if err := writeKubeconfig(c.Kubeconfig, url, p); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("kube-apiserver %s on %s ready in %s", Version, url, time.Since(began).Round(time.Millisecond))
	return c
}

// Clientset returns a typed client acting as the cluster's administrator.
func (c *Cluster) Clientset(tb testing.TB) *kubernetes.Clientset {
	tb.Helper()
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		tb.Fatal(err)
	}
	return cs
}

// Dynamic returns a dynamic client acting as the cluster's administrator.
func (c *Cluster) Dynamic(tb testing.TB) *dynamic.DynamicClient {
	tb.Helper()
	dc, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		tb.Fatal(err)
	}
	return dc
}

// startWithRetry runs start, which starts a server on ports it has just
// found free, and starts it again when another process took one of them
// in between. It returns the server's URL. The server is stopped when tb
// ends, and if tb failed, the end of its log is printed first.
func startWithRetry(tb testing.TB, start func() (*server, string, error)) string {
	tb.Helper()
	for attempt := 1; ; attempt++ {
		s, url, err := start()
		if err != nil {
			if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
				continue
			}
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			if tb.Failed() {
				tb.Logf("the end of the %s log %s:\n%s", s.name, s.log, s.tail())
			}
			s.stop()
		})
		return url
	}
}

// startEtcd starts etcd with a new data directory under dir and returns
// it with its client URL once it reports itself healthy.
func startEtcd(bin, dir string) (*server, string, error) {
	data, err := os.MkdirTemp(dir, "etcd-")
	if err != nil {
		return nil, "", err
	}
	clientURL, peerURL := "http://"+freeAddr(), "http://"+freeAddr()
	s, err := startServer("etcd", bin, data+".log",
		"--name=kubetest",
		"--data-dir="+data,
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--logger=zap",
		"--log-outputs=stderr",
	)
	if err != nil {
		return nil, "", err
	}
	err = s.waitFor(30*time.Second, func(ctx context.Context) error {
		return checkGet(ctx, http.DefaultClient, clientURL+"/health", `"health":"true"`)
	})
	if err != nil {
		return nil, "", err
	}
	return s, clientURL, nil
}

// startAPIServer starts kube-apiserver on etcd at etcdURL and returns it
// with its URL once /readyz answers ok. The flags are those of a small
// real cluster: RBAC, service account tokens, admission webhooks (on by
// default and not limited in what URLs they call, so a webhook served by
// the test on loopback works), with no cloud provider, and nothing that
// would make it reach beyond loopback.
func startAPIServer(bin, dir, etcdURL string, p *pki) (*server, string, error) {
	addr := freeAddr()
	_, port, _ := net.SplitHostPort(addr)
	log, err := os.CreateTemp(dir, "kube-apiserver-*.log")
	if err != nil {
		return nil, "", err
	}
	log.Close()
	s, err := startServer("kube-apiserver", bin, log.Name(),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--secure-port="+port,
		// Without it the API server advertises the address of the
		// host's default route, which need not exist.
		"--advertise-address=127.0.0.1",
		"--tls-cert-file="+p.servingCertFile,
		"--tls-private-key-file="+p.servingKeyFile,
		"--client-ca-file="+p.caFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+p.serviceAccountPubFile,
		"--service-account-signing-key-file="+p.serviceAccountKeyFile,
		"--service-cluster-ip-range="+serviceCIDR,
		// kube-apiserver refuses to start when an endpoint reconciler
		// would publish a loopback address as the endpoint of the
		// kubernetes Service; without one the Service has no
		// endpoints, which only clients inside a cluster would use.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
	)
	if err != nil {
		return nil, "", err
	}
	url := "https://" + addr
	client, err := rest.HTTPClientFor(&rest.Config{
		Host:            url,
		TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM, CertData: p.adminCertPEM, KeyData: p.adminKeyPEM},
	})
	if err != nil {
		s.stop()
		return nil, "", err
	}
	// Readiness includes the post-start hooks, among them the creation of
	// the default RBAC roles and of the system namespaces.
	err = s.waitFor(2*time.Minute, func(ctx context.Context) error {
		return checkGet(ctx, client, url+"/readyz", "ok")
	})
	if err != nil {
		return nil, "", err
	}
	return s, url, nil
}

// freeAddr returns a loopback address with a TCP port that is free now.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		// Without loopback the servers cannot start either, and say so.
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}

// checkGet returns nil if a GET of url answers 200 with a body containing
// want.
func checkGet(ctx context.Context, client *http.Client, url, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("GET %s: %s\n%s", url, resp.Status, body)
	}
	return nil
}

// server is a running etcd or kube-apiserver whose output goes to a log
// file.
type server struct {
	name string
	cmd  *exec.Cmd
	log  string        // path of the log file
	done chan struct{} // closed when the process has exited
	err  error         // how it exited, once done is closed
	once sync.Once
}

// startServer starts bin with args, its output appended to the file at
// log.
func startServer(name, bin, log string, args ...string) (*server, error) {
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	// The process gets a copy of the descriptor, so this one is closed as
	// soon as it has started.
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// waitFor calls check until it returns nil. If the process exits or
// timeout passes first, waitFor stops the process and returns an error
// that ends with the end of its log.
func (s *server) waitFor(timeout time.Duration, check func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s exited while starting (%v); the end of its log %s:\n%s", s.name, s.err, s.log, s.tail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("%s was not ready after %s: %v; the end of its log %s:\n%s", s.name, timeout, err, s.log, s.tail())
		}
	}
}

// stop terminates the process and anything it started, and waits for it
// to exit. A process that has not exited ten seconds after SIGTERM is
// killed.
func (s *server) stop() {
	s.once.Do(func() {
		signalGroup(s.cmd, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			signalGroup(s.cmd, syscall.SIGKILL)
			<-s.done
		}
	})
}

// tailLines is how much of a server's log a failure shows.
const tailLines = 40

// tail returns the last tailLines lines of the server's log.
func (s *server) tail() string {
	data, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.SplitAfter(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return strings.Join(lines, "")
}

// writeKubeconfig writes a kubeconfig file for the administrator of the
// API server at url.
func writeKubeconfig(path, url string, p *pki) error {
	b64 := base64.StdEncoding.EncodeToString
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetest
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kubetest
  context:
    cluster: kubetest
    user: %s
current-context: kubetest
`, url, b64(p.caPEM), adminUser, b64(p.adminCertPEM), b64(p.adminKeyPEM), adminUser)
	return os.WriteFile(path, []byte(data), 0o600)
}
