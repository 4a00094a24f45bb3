# routedesk — the two commands a newcomer needs: `make dev` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/routedesk
STATICCHECK_VERSION := v0.7.0
WORKFLOWCHECK_VERSION := v0.6.0

.PHONY: dev build test test-unit vet lint workflowcheck fmt-check fuzz bench bench-quick bench-scale clean compose-check chaos scale chart

## dev: start everything (migrations, embedded Temporal + Web UI, worker, API) and print the admin token
dev: build
	./$(BIN) dev

## build: compile the binary into bin/
build:
	@echo "building $(BIN); a cold first build downloads the modules and compiles the embedded Temporal server (about 3-5 minutes on 2 cores); each package is listed as it compiles"
	$(GO) build -v -o $(BIN) ./cmd/routedesk

## test: every test (unit, integration against PostgreSQL and embedded Temporal, end-to-end) plus the static checks
test: fmt-check vet lint workflowcheck
	$(GO) test -count=1 -timeout 20m ./...

## test-unit: the fast tests only (no PostgreSQL, no Temporal server)
test-unit:
	$(GO) test -count=1 -short ./...

vet:
	$(GO) vet ./...
	$(GO) vet -tags slim ./cmd/routedesk

## lint: staticcheck, installed from the Go module proxy on first use
lint:
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck -tags slim ./cmd/routedesk

## workflowcheck: Temporal's static determinism check (go.temporal.io/sdk/contrib/tools/workflowcheck) over the workflow code
workflowcheck:
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION) ./workflows/ ./imports/ ./privacy/

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## fuzz: run each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./channels/registry/ -run='^$$' -fuzz=FuzzDecode -fuzztime=$(FUZZTIME)
	$(GO) test ./rules/ -run='^$$' -fuzz=FuzzValidate -fuzztime=$(FUZZTIME)
	$(GO) test ./rules/ -run='^$$' -fuzz=FuzzEvaluate -fuzztime=$(FUZZTIME)
	$(GO) test ./server/ -run='^$$' -fuzz=FuzzCreateChannel -fuzztime=$(FUZZTIME)
	$(GO) test ./server/ -run='^$$' -fuzz=FuzzInboundMessage -fuzztime=$(FUZZTIME)
	$(GO) test ./server/ -run='^$$' -fuzz=FuzzPathAndQuery -fuzztime=$(FUZZTIME)
	$(GO) test ./server/ -run='^$$' -fuzz='^FuzzCheckJSONText$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./server/ -run='^$$' -fuzz='^FuzzTicketQuery$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./domain/ -run='^$$' -fuzz=FuzzParseBusinessHours -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/meta/ -run='^$$' -fuzz='^FuzzParseMessenger$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=2s
	$(GO) test ./payloadcodec/ -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/email/ -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/email/ -run='^$$' -fuzz='^FuzzParseForward$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/email/ -run='^$$' -fuzz='^FuzzInbound$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/meta/ -run='^$$' -fuzz='^FuzzParseWhatsApp$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=2s
	$(GO) test ./imports/ -run='^$$' -fuzz='^FuzzNDJSON$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./imports/ -run='^$$' -fuzz='^FuzzMbox$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/form/ -run='^$$' -fuzz='^FuzzSubmissionJSON$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/form/ -run='^$$' -fuzz='^FuzzSubmissionURLEncoded$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/calling/ -run='^$$' -fuzz='^FuzzCall$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/chat/ -run='^$$' -fuzz='^FuzzParseToken$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/mailaddr/ -run='^$$' -fuzz='^FuzzMailbox$$' -fuzztime=$(FUZZTIME)

## bench: the full benchmark of issue 14 (docs/benchmarks.md): throughput, CPU, history events, load curve, waiting agents, memory (of the test stack, and of a real `routedesk dev` after 10,000 conversations); and the rules benchmarks
bench:
	ROUTEDESK_BENCH=1 $(GO) test ./bench/ -run TestBenchmark -v -count=1 -timeout 60m
	ROUTEDESK_BENCH=1 $(GO) test ./bench/ -run TestEmailBenchmark -v -count=1 -timeout 20m
	ROUTEDESK_BENCH=1 $(GO) test ./bench/ -run TestDevMemory -v -count=1 -timeout 60m
	ROUTEDESK_BENCH=1 $(GO) test ./bench/ -run TestBacklogBenchmark -v -count=1 -timeout 60m
	ROUTEDESK_BENCH=1 $(GO) test ./bench/ -run 'TestSearchBenchmark|TestSearchIngestCost' -v -count=1 -timeout 60m
	ROUTEDESK_BENCH=1 $(GO) test ./bench/ -run TestLiveBenchmark -v -count=1 -timeout 30m
	$(GO) test -run='^$$' -bench=. -benchmem ./rules/

## bench-quick: the same measurements at a small scale (about 2 minutes), ending with the key ratios
bench-quick:
	$(GO) test -run='^$$' -bench='Evaluate100RulesVsExprRun' -benchtime=2000x ./rules/
	ROUTEDESK_BENCH=1 ROUTEDESK_BENCH_QUICK=1 $(GO) test ./bench/ -run TestBenchmark -v -count=1 -timeout 10m
	ROUTEDESK_BENCH=1 ROUTEDESK_BENCH_QUICK=1 $(GO) test ./bench/ -run TestEmailBenchmark -v -count=1 -timeout 10m
	ROUTEDESK_BENCH=1 ROUTEDESK_BENCH_QUICK=1 $(GO) test ./bench/ -run TestBacklogBenchmark -v -count=1 -timeout 30m

## compose-check: validate docker-compose.yml on paper (no Docker engine needed): it parses with the
## secrets set, refuses to start without them, and the Dockerfile's Go image is go.mod's version
COMPOSE_SECRETS := POSTGRES_PASSWORD=check ROUTEDESK_SECRET_KEY=check ROUTEDESK_BOOTSTRAP_TOKEN=check GRAFANA_ADMIN_PASSWORD=check
compose-check:
	@if docker compose version >/dev/null 2>&1; then compose="docker compose"; \
	elif command -v docker-compose >/dev/null 2>&1; then compose=docker-compose; \
	else echo "compose-check: install the docker compose plugin or docker-compose"; exit 1; fi; \
	env $(COMPOSE_SECRETS) $$compose config -q || exit 1; \
	if env $(COMPOSE_SECRETS) ROUTEDESK_BOOTSTRAP_TOKEN= $$compose config -q >/dev/null 2>&1; then \
		echo "compose-check: an unset ROUTEDESK_BOOTSTRAP_TOKEN must be an error"; exit 1; fi; \
	gover=$$(sed -n 's/^go //p' go.mod); \
	grep -q "^FROM golang:$$gover " Dockerfile || { echo "compose-check: Dockerfile must build with golang:$$gover (go.mod)"; exit 1; }

## chart: the Helm chart (deploy/helm/routedesk) rendered as `helm template` does, with Helm's packages pinned in
## deploy/go.mod (a module of its own: the main module has no Kubernetes dependencies), helm lint --strict, and every
## rendered object decoded strictly into its Kubernetes API type and checked offline (docs/kubernetes.md)
chart:
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	cd deploy && $(GO) vet ./... && PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...
	cd deploy && $(GO) test -count=1 ./...
	cd deploy && $(GO) run ./cmd/template -name routedesk -namespace routedesk > /dev/null

## bench-scale: the scale benchmark of issue 29 (e2e/benchscale_test.go; not in `test`): N open conversations (BENCH_SCALE_OPEN, default 100000: about 2 hours on 2 cores, 50000 about 1 hour 6 minutes), footprint, CPU per message at 1,000 and N open, a timer storm (BENCH_SCALE_STORM, default 10000), restarts; see docs/capacity.md
BENCH_SCALE_OPEN ?= 100000
BENCH_SCALE_STORM ?= 10000
bench-scale:
	ROUTEDESK_BENCH_SCALE=1 ROUTEDESK_BENCH_SCALE_OPEN=$(BENCH_SCALE_OPEN) ROUTEDESK_BENCH_SCALE_STORM=$(BENCH_SCALE_STORM) \
		$(GO) test ./e2e/ -run '^TestBenchScale$$' -count=1 -v -timeout 180m

## chaos: the chaos suite against the built binary: SIGKILL under load, Temporal and PostgreSQL
## stopped, hostile Unicode ids on every inbound route, agent capacity under a storm (e2e/chaos_test.go),
## bursts and SIGKILL with a 1,000-message backlog measured against the routed rate (e2e/backlog_test.go)
chaos:
	ROUTEDESK_CHAOS=1 $(GO) test ./e2e/ -run '^TestChaos' -count=1 -v -timeout 20m

## scale: the scale-out suite: `routedesk temporal`, two servers and two workers on one database (e2e/scale_test.go)
scale:
	ROUTEDESK_SCALE=1 $(GO) test ./e2e/ -run '^TestScale' -count=1 -v -timeout 15m

clean:
	rm -rf bin
