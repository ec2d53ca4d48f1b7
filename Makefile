# Two commands on a fresh machine: `make run` and `make test` (see README.md).
GO  ?= go
BIN := bin/ruche

.PHONY: run test build postgres check

build:
	$(GO) build -o $(BIN) ./cmd/ruche

# PostgreSQL's server binaries: installed from the OS packages when missing (as root).
postgres:
	@sh scripts/ensure-postgres.sh

# Development server on http://localhost:8080 (this machine only) with its own
# PostgreSQL in ./var.
run: postgres build
	RUCHE_DEV=$${RUCHE_DEV:-true} RUCHE_ADDR=$${RUCHE_ADDR:-127.0.0.1:8080} RUCHE_HOST=$${RUCHE_HOST:-localhost:8080} ./$(BIN) serve

# The whole suite, with the race detector, against a throwaway PostgreSQL cluster
# (or DATABASE_URL when it is set).
test: postgres
	$(GO) run ./cmd/ruche dev with-postgres -- $(GO) test -race -count=1 ./...

# What CI checks besides the tests.
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
