#!/usr/bin/env bash
# Installs the Debian packages the system tests need (OpenSSH server, sudo,
# sshpass; systemd for systemd-socket-activate, which starts truenas-engine serve as
# its socket unit would; passwd for shadow-utils), when running as root and they are missing. Elsewhere it says
# what is missing and leaves the test to skip with that reason.
set -euo pipefail
need=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v sudo >/dev/null 2>&1 || need+=(sudo)
command -v sshpass >/dev/null 2>&1 || need+=(sshpass)
command -v systemd-socket-activate >/dev/null 2>&1 || need+=(systemd)
# shadow-utils (useradd, usermod, groupadd, gpasswd, passwd, chpasswd), which
# the interop tests run at the same time as the engine.
for tool in useradd usermod groupadd gpasswd passwd chpasswd; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    need+=(passwd)
    break
  fi
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing ${need[*]}; not root, so the real-box system test will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "deps: installed ${need[*]}"
