#!/usr/bin/env bash
# Builds OpenTofu VERSION into OUT from its module on the Go module proxy.
# The build runs in the downloaded module's folder so that OpenTofu's own
# go.mod (with its replace directives) is the main module: `go install
# module@version` ignores replace directives and fails for OpenTofu.
set -euo pipefail
version=${1:?version}
out=${2:?output path}
go=${GO:-go}
dir=$(GOFLAGS=-mod=mod "$go" mod download -json "github.com/opentofu/opentofu@v$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "build-tofu: module folder not found for v$version" >&2; exit 1; }
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
(cd "$dir" && CGO_ENABLED=0 GOFLAGS= "$go" build -mod=readonly -trimpath -buildvcs=false \
  -ldflags "-s -w -X 'github.com/opentofu/opentofu/version.dev=no'" -o "$tmp" ./cmd/tofu)
# TF_CLI_CONFIG_FILE=/dev/null: OpenTofu prints a warning on stdout, before
# its version, when TF_CLI_CONFIG_FILE names a file that does not exist.
TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$tmp" version | sed -n 1p | grep "^OpenTofu v$version\$" >/dev/null ||
  { echo "build-tofu: the built binary does not report OpenTofu v$version" >&2; exit 1; }
mv -f "$tmp" "$out"
