#!/usr/bin/env bash
# Registry load benchmark: the release registry beside a bare Hummingbird server, same run, same machine;
# then the registry on a throwaway PostgreSQL server, one replica and three on one database.
# Writes its tables into docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_swift
ensure_apt wrk postgresql
say "building release binaries (chatixia-registry, registry-bench)"
swift build -c release --product chatixia-registry
swift build -c release --package-path bench --product registry-bench
BIN="$(swift build -c release --show-bin-path)"
start_postgres
trap stop_postgres EXIT
for database in bench_one bench_three; do psql -q "$PG_URL" -c "CREATE DATABASE $database"; done
say "running the benchmark (about two minutes)"
"$(swift build -c release --package-path bench --show-bin-path)/registry-bench" run --bin-dir "$BIN" --out docs/BENCHMARKS.md --postgres "$PG_URL" "$@"
