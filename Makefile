# The whole dev loop: make demo, make test, make lint, make bench.
GO ?= go
export CGO_ENABLED ?= 0
STATICCHECK_VERSION := v0.8.2

.PHONY: all build demo test test-short test-race lint bench fuzz clean

all: lint test

build:
	$(GO) build -trimpath -ldflags "-s -w" -o bin/andon ./cmd/andon

# Run the server with the example manufacturer on http://localhost:8080.
demo:
	@echo "Building andon (a few minutes the first time: modules are downloaded and compiled), then starting the demo."
	$(GO) run ./cmd/andon demo

# Every test: Go unit and end-to-end tests, the Rego unit tests of the
# default policy (run by the policy package's tests) and the fuzz seeds.
# cmd/andon's tests, the longest, take two to five minutes on an idle
# machine of two cores, and seven on its first run (helm is built, modules
# downloaded); Go's default limit of ten minutes a package was reached on
# a busy machine, so the limit leaves room for one.
test:
	$(GO) test -count=1 -timeout 30m ./...

test-short:
	$(GO) test -short ./...

# The race detector, which needs cgo and a C compiler, over the packages
# whose tests it slows little, and over the store's tests of requests that
# race: writes of two replicas on one database, approvals, gate calls and
# transitions of one change at once. Under it the tests of policy (OPA),
# the rest of sqlstore, web and cmd/andon take from a few minutes to a
# quarter of an hour each on two cores, so neither make test nor CI runs it.
RACE_PACKAGES := . ./admission ./auditlog ./calendar ./catalog ./catalogsync ./client ./drift ./internal/... ./manifest ./odoo ./server
test-race:
	CGO_ENABLED=1 $(GO) test -race -count=1 $(RACE_PACKAGES)
	CGO_ENABLED=1 $(GO) test -race -count=1 -run 'Concurrent|Racing|Replica|GroupCommit|OnePerson|GateRead|InABatch' ./sqlstore

# The CLI runs on the laptops of release engineers and change managers too:
# vet for Windows keeps code and tests that only build on Linux behind
# build constraints.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Benchmarks of the hot paths; results are recorded in docs/performance.md.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# A short run of every fuzz target (go test -fuzz takes one at a time). The
# seed corpora in testdata/fuzz run as ordinary tests in make test.
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzLoad -fuzztime=30s ./catalog
	$(GO) test -run='^$$' -fuzz=FuzzParseICS -fuzztime=30s ./calendar
	$(GO) test -run='^$$' -fuzz=FuzzOccurrences -fuzztime=30s ./calendar
	$(GO) test -run='^$$' -fuzz=FuzzDecode -fuzztime=30s ./auditlog
	$(GO) test -run='^$$' -fuzz=FuzzValidJSON -fuzztime=30s ./auditlog
	$(GO) test -run='^$$' -fuzz=FuzzCanonical -fuzztime=30s ./auditlog
	$(GO) test -run='^$$' -fuzz=FuzzGateBody -fuzztime=30s ./server
	$(GO) test -run='^$$' -fuzz=FuzzDriftBody -fuzztime=30s ./server
	$(GO) test -run='^$$' -fuzz=FuzzWalk -fuzztime=30s ./server
	$(GO) test -run='^$$' -fuzz=FuzzFeedWindowName -fuzztime=30s ./calendar
	$(GO) test -run='^$$' -fuzz=FuzzParseImage -fuzztime=30s .
	$(GO) test -run='^$$' -fuzz=FuzzParseRegistry -fuzztime=30s .
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=30s ./manifest
	$(GO) test -run='^$$' -fuzz=FuzzFromArchive -fuzztime=30s ./catalogsync
	$(GO) test -run='^$$' -fuzz=FuzzLoadConfig -fuzztime=30s ./identity
	$(GO) test -run='^$$' -fuzz=FuzzVerify -fuzztime=30s ./identity
	$(GO) test -run='^$$' -fuzz=FuzzParseLiteral -fuzztime=30s ./odoo
	$(GO) test -run='^$$' -fuzz=FuzzParseManifest -fuzztime=30s ./odoo
	$(GO) test -run='^$$' -fuzz=FuzzAdmit -fuzztime=30s ./admission
	$(GO) test -run='^$$' -fuzz=FuzzQuery -fuzztime=30s ./server
	$(GO) test -run='^$$' -fuzz=FuzzDiff -fuzztime=30s ./drift
	$(GO) test -run='^$$' -fuzz=FuzzParseRequest -fuzztime=30s ./github

clean:
	rm -rf bin demo-data

# The Helm chart in deploy/helm/andon, rendered with helm and checked by
# andon policy test, and linted. The first run on a machine builds helm from
# its source on the Go module proxy (GOPROXY without direct: never from its
# origin) into the user's cache directory, which takes a few minutes; make
# test runs these tests too.
.PHONY: chart-test
chart-test:
	$(GO) test -count=1 -run '^TestChart' ./cmd/andon

# Full-page screenshots of every page of the board at 1280 and 375 px wide,
# taken by the browser tests (they need Chromium) into docs/screenshots.
.PHONY: screenshots
screenshots:
	ANDON_TEST_BROWSER=1 ANDON_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestBrowser$$' ./cmd/andon

# End-to-end tests against a real Kubernetes API server (internal/kubetest,
# and the TestKube tests of drift and cmd/andon), which make test skips. They need
# etcd, installed here from Debian's etcd-server package when missing, and
# a kube-apiserver that the first run on a machine builds from source into
# the user's cache directory: about a quarter of an hour on two cores,
# hence the long timeout.
.PHONY: test-k8s
test-k8s:
	@if ! command -v etcd >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server; \
		else \
			echo "make test-k8s needs etcd: run apt-get install -y etcd-server as root, or put an etcd on PATH"; exit 1; \
		fi; \
	fi
	ANDON_TEST_K8S=1 $(GO) test -count=1 -run 'Kube' -timeout 60m ./internal/kubetest ./drift ./cmd/andon
