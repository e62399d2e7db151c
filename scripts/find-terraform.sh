#!/usr/bin/env bash
# Prints the path of the first HashiCorp Terraform of version MIN (e.g.
# 1.11) or newer on PATH, leaving out the repository's bin/ (where `make
# terraform` builds Terraform 1.8.5); exits 1, printing nothing, when there
# is none. `make testacc TF_CLI=terraform-path`, `make demo
# TF_CLI=terraform-path` and `make generate` use it.
set -euo pipefail
min=${1:?usage: find-terraform.sh MIN_VERSION}
root=$(cd "$(dirname "$0")/.." && pwd -P)
IFS=. read -r min_major min_minor <<<"$min"
IFS=: read -ra dirs <<<"${PATH:-}"
for d in "${dirs[@]}"; do
  [ -n "$d" ] && [ -x "$d/terraform" ] && [ ! -d "$d/terraform" ] || continue
  real=$(cd "$d" 2>/dev/null && pwd -P) || continue
  [ "$real" = "$root/bin" ] && continue
  first=$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$d/terraform" version 2>/dev/null | sed -n 1p) || continue
  if [[ $first =~ ^Terraform\ v([0-9]+)\.([0-9]+)\.[0-9]+ ]]; then
    major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
    if (( major > min_major || (major == min_major && minor >= min_minor) )); then
      echo "$d/terraform"
      exit 0
    fi
  fi
done
exit 1
