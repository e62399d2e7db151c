#!/usr/bin/env bash
# The demo behind `make demo` (which builds bin/terraform-provider-truenas and
# bin/truenas-engine and installs the CLI first): start a sandbox box, apply examples/demo to it,
# show the outputs, check that a second plan is empty, destroy, stop the
# sandbox. The CLI is TF_CLI_PATH: bin/terraform (Terraform 1.8.5, the
# default), the Terraform 1.11+ on PATH (`make demo TF_CLI=terraform-path`)
# or bin/tofu (OpenTofu 1.12.6, `make demo TF_CLI=tofu`). On a CLI with
# write-only values and ephemeral resources (1.11+) the demo adds
# examples/demo/newer: a user with password_wo and an ephemeral API key,
# and checks that neither secret is in the state and that the key is gone.
# Everything lives in .demo/ and the CLI configuration is its own
# (dev_overrides to bin/ for both registry addresses), so the user's
# ~/.terraformrc or ~/.tofurc is never read and no `init` (and no registry)
# is needed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin"
DEMO="$ROOT/.demo"
SANDBOX_DIR="$DEMO/sandbox"
WORK="$DEMO/work"
SANDBOX_LOG="$DEMO/sandbox.log"
PROVIDER="$BIN/terraform-provider-truenas"
ENGINE="$BIN/truenas-engine"
TERRAFORM="${TF_CLI_PATH:-${TERRAFORM:-$BIN/terraform}}"

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }

[ -x "$PROVIDER" ] || die "$PROVIDER is missing: run 'make build' (or 'make demo')"
[ -x "$ENGINE" ] || die "$ENGINE is missing: run 'make build' (or 'make demo')"
[ -x "$TERRAFORM" ] || die "$TERRAFORM is missing: run 'make terraform' or 'make tofu' (or 'make demo')"
# "Terraform v1.8.5" or "OpenTofu v1.12.6": the name used in what the demo says.
CLI_VERSION=$(TF_CLI_CONFIG_FILE=/dev/null "$TERRAFORM" version | sed -n 1p)
case "$CLI_VERSION" in
  OpenTofu*) CLI_NAME=tofu ;;
  Terraform*) CLI_NAME=terraform ;;
  *) die "$TERRAFORM is neither Terraform nor OpenTofu: '$CLI_VERSION'" ;;
esac
# Write-only values and ephemeral resources: Terraform and OpenTofu 1.11+.
NEWER=""
if [[ $CLI_VERSION =~ v([0-9]+)\.([0-9]+)\. ]] &&
  (( BASH_REMATCH[1] > 1 || BASH_REMATCH[2] >= 11 )); then
  NEWER=1
fi

SANDBOX_PID=""
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$SANDBOX_PID" ] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
    kill -TERM "$SANDBOX_PID" 2>/dev/null
    for _ in $(seq 1 50); do
      kill -0 "$SANDBOX_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$SANDBOX_PID" 2>/dev/null && kill -KILL "$SANDBOX_PID" 2>/dev/null
    wait "$SANDBOX_PID" 2>/dev/null
  fi
  if [ "$rc" -ne 0 ]; then
    echo >&2
    echo "demo: failed (exit $rc). Kept for a look:" >&2
    echo "  sandbox log:      $SANDBOX_LOG" >&2
    echo "  sandbox folder:   $SANDBOX_DIR" >&2
    echo "  $CLI_NAME folder: $WORK (state, and terraform.log with TF_LOG=DEBUG)" >&2
    if [ -s "$SANDBOX_LOG" ]; then
      echo "--- last lines of the sandbox log ---" >&2
      tail -n 20 "$SANDBOX_LOG" >&2
    fi
  else
    rm -rf "$WORK" "$SANDBOX_DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A fresh start: no state or box left over from an earlier run.
rm -rf "$DEMO"
mkdir -p "$DEMO" "$SANDBOX_DIR"

say "Starting the sandbox box (log: .demo/sandbox.log)"
"$ENGINE" sandbox --dir "$SANDBOX_DIR" --listen 127.0.0.1:0 >"$SANDBOX_LOG" 2>&1 &
SANDBOX_PID=$!

ready=""
for _ in $(seq 1 300); do
  if grep -q '^sandbox ready' "$SANDBOX_LOG" 2>/dev/null; then
    ready=1
    break
  fi
  kill -0 "$SANDBOX_PID" 2>/dev/null || die "the sandbox exited before it was ready"
  sleep 0.1
done
[ -n "$ready" ] || die "the sandbox did not print 'sandbox ready' within 30 s"
sed -n '/^sandbox ready/{p;q}' "$SANDBOX_LOG"

[ -f "$SANDBOX_DIR/sandbox.env" ] || die "the sandbox did not write $SANDBOX_DIR/sandbox.env"
# shellcheck disable=SC1091
. "$SANDBOX_DIR/sandbox.env"
echo "box: ${TRUENAS_USER:-?}@${TRUENAS_HOST:-?}:${TRUENAS_PORT:-?}"

# CLI configuration of the demo only: the provider comes from bin/, under
# the address Terraform gives `nasops/truenas` and the one OpenTofu gives it.
cat >"$DEMO/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/nasops/truenas" = "$BIN"
    "registry.opentofu.org/nasops/truenas" = "$BIN"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$DEMO/terraformrc"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export TF_INPUT=0
export TF_LOG_PATH="$WORK/terraform.log"
export TF_LOG="${TF_LOG:-DEBUG}"
# The sandbox takes only its own key: keep an SSH agent out of the demo.
unset SSH_AUTH_SOCK TF_CLI_ARGS TF_CLI_ARGS_plan TF_CLI_ARGS_apply TF_CLI_ARGS_destroy TF_WORKSPACE TF_DATA_DIR

mkdir -p "$WORK"
cp "$ROOT"/examples/demo/*.tf "$WORK"/
if [ -n "$NEWER" ]; then
  cp "$ROOT"/examples/demo/newer/*.tf "$WORK"/
else
  echo "demo: $CLI_VERSION has no write-only values or ephemeral resources (1.11+): password_wo and the ephemeral API key are left out"
fi
cd "$WORK"

say "$CLI_VERSION: $CLI_NAME apply"
"$TERRAFORM" apply -auto-approve -no-color || die "$CLI_NAME apply"

say "Outputs"
"$TERRAFORM" output -no-color || die "$CLI_NAME output"

say "On the box (under .demo/sandbox/root)"
BOXROOT="$SANDBOX_DIR/root"
grep -E '^(ghopper|opsadmin):' "$BOXROOT/etc/passwd" 2>/dev/null || echo "(no passwd entries found)"
grep -E '^(developers|builtin_administrators|opsadmin):' "$BOXROOT/etc/group" 2>/dev/null || true
if [ -f "$BOXROOT/mnt/tank/ghopper/.ssh/authorized_keys" ]; then
  echo "mnt/tank/ghopper/.ssh/authorized_keys: $(cut -c1-40 "$BOXROOT/mnt/tank/ghopper/.ssh/authorized_keys")..."
fi

if [ -n "$NEWER" ]; then
  say "Write-only password and ephemeral API key"
  if grep -q 'Demo-WO-Passw0rd-2026!' terraform.tfstate; then die "the write-only password is in the state"; fi
  grep -q '^wouser:' "$BOXROOT/etc/passwd" || die "wouser is not on the box"
  key_id=$(cat ephemeral-key-id 2>/dev/null) || die "the provisioner did not get the ephemeral key"
  [[ $key_id =~ ^[0-9]+$ ]] || die "the provisioner's key has no id: '$key_id'"
  # A plaintext API key is "<id>-<64 letters and digits>" (the state holds
  # truenas_api_key.opsadmin's: a resource's key is kept, sensitive).
  if grep -Eq "\"$key_id-[A-Za-z0-9]{64}\"" terraform.tfstate; then die "the ephemeral API key is in the state"; fi
  left=$("$ENGINE" --root "$BOXROOT" call api_key.query "[[\"id\", \"=\", $key_id]]")
  [ "$left" = "[]" ] || die "the ephemeral key $key_id is still on the box after the apply: $left"
  echo "demo: wouser has a password the state does not hold; the apply's API key (id $key_id) was used and is gone."
fi

say "Second plan: it must show no changes"
set +e
"$TERRAFORM" plan -detailed-exitcode -no-color
plan_rc=$?
set -e
case "$plan_rc" in
  0) echo "demo: second plan is empty, as it should be." ;;
  2) die "the second plan has changes: the provider drifts (see the plan above)" ;;
  *) die "$CLI_NAME plan failed (exit $plan_rc)" ;;
esac

say "$CLI_NAME destroy"
"$TERRAFORM" destroy -auto-approve -no-color || die "$CLI_NAME destroy"

say "Stopping the sandbox"
kill -TERM "$SANDBOX_PID"
wait "$SANDBOX_PID" 2>/dev/null || true
SANDBOX_PID=""

echo
echo "demo: OK with $CLI_VERSION (apply, empty second plan, destroy)"
