#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time each ($1, default 10s).
#
# Go's fuzzing coordinator sometimes fails a short run with only "context
# deadline exceeded" when a worker is slow to stop at the end of -fuzztime on
# a loaded machine (no input failed, nothing is written to testdata). Such a
# run, and only such a run, is tried once more; a failing input always fails.
set -euo pipefail
t=${1:-10s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "fuzz: $pkg $f ($t)"
    for try in 1 2; do
      out=$(mktemp)
      if go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg" >"$out" 2>&1; then
        cat "$out"; rm -f "$out"; break
      fi
      cat "$out"
      if [ "$try" = 1 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
        rm -f "$out"
        echo "fuzz: $f stopped on the harness's deadline, not on an input: once more"
        continue
      fi
      rm -f "$out"
      exit 1
    done
  done
done
