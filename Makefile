# routedesk — the two commands a newcomer needs: `make dev` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/routedesk
STATICCHECK_VERSION := v0.7.0

.PHONY: dev build test test-unit vet lint fmt-check fuzz bench clean compose-check

## dev: start everything (migrations, embedded Temporal + Web UI, worker, API) and print the admin token
dev: build
	./$(BIN) dev

## build: compile the binary into bin/
build:
	$(GO) build -o $(BIN) ./cmd/routedesk

## test: every test (unit, integration against PostgreSQL and embedded Temporal, end-to-end) plus the static checks
test: fmt-check vet lint
	$(GO) test -count=1 -timeout 20m ./...

## test-unit: the fast tests only (no PostgreSQL, no Temporal server)
test-unit:
	$(GO) test -count=1 -short ./...

vet:
	$(GO) vet ./...

## lint: staticcheck, installed from the Go module proxy on first use
lint:
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## fuzz: run each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./channels/registry/ -run='^$$' -fuzz=FuzzDecode -fuzztime=$(FUZZTIME)
	$(GO) test ./rules/ -run='^$$' -fuzz=FuzzValidate -fuzztime=$(FUZZTIME)
	$(GO) test ./server/ -run='^$$' -fuzz=FuzzCreateChannel -fuzztime=$(FUZZTIME)
	$(GO) test ./server/ -run='^$$' -fuzz=FuzzInboundMessage -fuzztime=$(FUZZTIME)
	$(GO) test ./server/ -run='^$$' -fuzz=FuzzPathAndQuery -fuzztime=$(FUZZTIME)
	$(GO) test ./domain/ -run='^$$' -fuzz=FuzzParseBusinessHours -fuzztime=$(FUZZTIME)
	$(GO) test ./channels/meta/ -run='^$$' -fuzz='^FuzzParseMessenger$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=2s
	$(GO) test ./channels/meta/ -run='^$$' -fuzz='^FuzzParseWhatsApp$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=2s

## bench: the conversation benchmark against embedded Temporal and PostgreSQL (bench/README.md), and the rules benchmarks
bench:
	ROUTEDESK_BENCH=1 $(GO) test ./bench/ -run TestBenchmark -v -count=1 -timeout 10m
	$(GO) test -run='^$$' -bench=. -benchmem ./rules/

## compose-check: validate docker-compose.yml on paper (no Docker engine needed)
compose-check:
	@if docker compose version >/dev/null 2>&1; then ROUTEDESK_SECRET_KEY=check docker compose config -q; \
	elif command -v docker-compose >/dev/null 2>&1; then ROUTEDESK_SECRET_KEY=check docker-compose config -q; \
	else echo "compose-check: install the docker compose plugin or docker-compose"; exit 1; fi

clean:
	rm -rf bin
