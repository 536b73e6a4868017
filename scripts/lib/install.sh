# shellcheck shell=bash
# "Install only what is missing" for Debian 12, shared by .ci/run and scripts/setup-and-demo.sh.
# Source it from bash with `set -euo pipefail`; it defines functions and changes nothing
# until one is called. Every install goes through tdm_apt_install, which prints what it
# installs and runs `apt-get update` once, before the first install.

# Debian keeps daemons (nats-server, dnsmasq, nginx) in /usr/sbin, which a non-root PATH may lack;
# the tests start these binaries by name.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin" ;; esac
case ":$PATH:" in *:/sbin:*) ;; *) PATH="$PATH:/sbin" ;; esac
export PATH

TDM_APT_UPDATED=${TDM_APT_UPDATED:-0}
TDM_INSTALLED=()

tdm_say() { printf '[tdm-setup] %s\n' "$*" >&2; }
tdm_die() {
  printf '[tdm-setup] ERROR: %s\n' "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
tdm_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    # Without a terminal (CI) a password prompt could only hang or fail: ask sudo not to prompt.
    if [ -t 0 ]; then sudo -- "$@"; else sudo -n -- "$@"; fi
  else
    tdm_die "need root for: $* (run as root, or install sudo)"
  fi
}

# True when a Debian package is installed (not merely known or half-removed).
tdm_pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

# apt-get update, once per run.
tdm_apt_update() {
  if [ "$TDM_APT_UPDATED" != 1 ]; then
    tdm_say "apt-get update"
    tdm_as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
    TDM_APT_UPDATED=1
  fi
}

tdm_apt_install() {
  command -v apt-get >/dev/null 2>&1 || tdm_die "apt-get not found: install $* by hand (this script knows Debian/Ubuntu only)"
  tdm_apt_update
  tdm_say "installing Debian package(s): $*"
  # Only dpkg's "Setting up" lines: the package list without pages of unpacking noise (errors go to stderr).
  tdm_as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" |
    sed -n 's/^Setting up /[tdm-setup]   set up /p'
  TDM_INSTALLED+=("$@")
}

# tdm_ensure_cmd COMMAND PACKAGE: installs PACKAGE when COMMAND is not on PATH.
tdm_ensure_cmd() {
  local cmd=$1 pkg=$2
  if command -v "$cmd" >/dev/null 2>&1; then
    tdm_say "have $cmd ($(command -v "$cmd"))"
    return 0
  fi
  tdm_apt_install "$pkg"
  command -v "$cmd" >/dev/null 2>&1 || tdm_die "$pkg installed but $cmd is still not on PATH"
}

# Node.js: the project needs >= 20.19 (knip, which `npm test` runs; the services alone need
# 20.18.1, for undici 7). Debian 12's own nodejs is 18.x, so
# installing it only gets a machine part of the way; we say so rather than fail silently.
tdm_ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    tdm_say "node not found: installing Debian's nodejs and npm (Debian 12 ships Node 18, older than the >= 20.19 this project needs)"
    tdm_apt_install nodejs npm
  elif ! command -v npm >/dev/null 2>&1; then
    tdm_apt_install npm
  fi
  local v
  v=$(node -p 'process.versions.node')
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    tdm_say "WARNING: node $v is older than the 20.19 this project needs; install Node 20 or 22 (e.g. from NodeSource)"
  else
    tdm_say "have node $v"
  fi
}

tdm_ensure_nats_server() { tdm_ensure_cmd nats-server nats-server; }
# dnsmasq-base carries the binary without the system service (no daemon on port 53).
tdm_ensure_dnsmasq() { tdm_ensure_cmd dnsmasq dnsmasq-base; }
# Tests run their own nginx with their own config; the binary is all they need.
tdm_ensure_nginx() { tdm_ensure_cmd nginx nginx; }
# Debian's Chromium for browser-mode checks (never a downloaded browser). Large: only when
# missing. fonts-liberation is only a Recommends of it, and a page without fonts renders no text.
tdm_ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    tdm_say "have chromium ($(command -v chromium))"
    return 0
  fi
  tdm_apt_install chromium fonts-liberation
  command -v chromium >/dev/null 2>&1 || tdm_die "chromium installed but not on PATH"
}

# promtool, which test/deploy runs on grafana/prometheus/prometheus.yml and the alert rules.
# Only that one binary (48 MB, needs only libc) is taken out of Debian's prometheus package
# (a 19 MB download, about a second): installing the package would also set up the server
# as a system service, with a dozen JavaScript packages for its web UI.
tdm_ensure_promtool() {
  if command -v promtool >/dev/null 2>&1; then
    tdm_say "have promtool ($(command -v promtool))"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || tdm_die "apt-get not found: install promtool (Prometheus) by hand"
  tdm_apt_update
  tdm_say "installing promtool from Debian's prometheus package into /usr/local/bin"
  local tmp
  tmp=$(mktemp -d)
  # As root apt warns that its sandbox user cannot write to the private directory; harmless.
  (cd "$tmp" && apt-get download -qq prometheus)
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  tdm_as_root install -m 0755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$tmp"
  command -v promtool >/dev/null 2>&1 || tdm_die "promtool installed in /usr/local/bin but not on PATH"
  TDM_INSTALLED+=(promtool)
}

# The newest installed PostgreSQL major version with a cluster config, e.g. "15".
tdm_pg_version() {
  # shellcheck disable=SC2012 # the entries are version numbers
  ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1
}

# Can we connect to URL (default: postgres@127.0.0.1:5432) without a password?
tdm_pg_can_connect() {
  local url=${1:-postgres://postgres@127.0.0.1:5432/postgres}
  PGCONNECT_TIMEOUT=5 psql -w -X -q -At "$url" -c 'select 1' >/dev/null 2>&1
}

# tdm_ensure_postgres [CLUSTER] [PORT]: a PostgreSQL server running on 127.0.0.1:PORT that
# accepts `postgres` without a password. Defaults: cluster main, port 5432 (Debian's own).
tdm_ensure_postgres() {
  local cluster=${1:-main} port=${2:-5432}
  local url="postgres://postgres@127.0.0.1:$port/postgres"
  if command -v psql >/dev/null 2>&1 && tdm_pg_can_connect "$url"; then
    tdm_say "have PostgreSQL at 127.0.0.1:$port (postgres, no password)"
    return 0
  fi
  if ! tdm_pkg_installed postgresql || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    tdm_apt_install postgresql
  fi
  local ver
  ver=$(tdm_pg_version)
  # shellcheck disable=SC2012 # the entries are version numbers
  [ -n "$ver" ] || ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$ver" ] || tdm_die "postgresql is installed but no server version is found"
  if [ ! -d "/etc/postgresql/$ver/$cluster" ]; then
    tdm_say "creating PostgreSQL $ver cluster '$cluster' on port $port"
    tdm_as_root pg_createcluster "$ver" "$cluster" -p "$port"
  fi
  # pg_ctlcluster runs the server as the cluster's owner (postgres), never as root.
  if ! tdm_as_root pg_ctlcluster "$ver" "$cluster" status >/dev/null 2>&1; then
    tdm_say "starting PostgreSQL $ver cluster '$cluster'"
    tdm_as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 1
  done
  pg_isready -q -h 127.0.0.1 -p "$port" ||
    tdm_die "PostgreSQL $ver/$cluster did not come up on 127.0.0.1:$port (see /var/log/postgresql/postgresql-$ver-$cluster.log)"
  if ! tdm_pg_can_connect "$url"; then
    tdm_pg_trust_loopback "$ver" "$cluster" "$port"
    tdm_pg_can_connect "$url" || tdm_die "cannot connect as postgres to 127.0.0.1:$port even after trusting loopback in pg_hba.conf"
  fi
  tdm_say "PostgreSQL $ver/$cluster ready at 127.0.0.1:$port"
}

# Lets `postgres` in over loopback TCP without a password: test machines only. The rules go
# first in pg_hba.conf because the first matching line wins.
tdm_pg_trust_loopback() {
  local ver=$1 cluster=${2:-main} port=${3:-5432}
  local hba="/etc/postgresql/$ver/$cluster/pg_hba.conf"
  local marker='# tdm: trust postgres over loopback (test machines)'
  if tdm_as_root grep -qF "$marker" "$hba"; then
    tdm_say "$hba already has the loopback trust rule"
  else
    tdm_say "adding 'trust' for postgres on 127.0.0.1/::1 to $hba"
    local tmp
    tmp=$(mktemp)
    {
      printf '%s\n' "$marker"
      printf 'host    all    postgres    127.0.0.1/32    trust\n'
      printf 'host    all    postgres    ::1/128         trust\n'
      tdm_as_root cat "$hba"
    } >"$tmp"
    # cat into the file (not cp over it) keeps its owner and mode.
    # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments.
    tdm_as_root sh -c 'cat "$1" > "$2"' sh "$tmp" "$hba"
    rm -f "$tmp"
  fi
  tdm_as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" reload
  # The reload is a signal; give the postmaster a moment to re-read the file.
  for _ in 1 2 3 4 5; do
    tdm_pg_can_connect "postgres://postgres@127.0.0.1:$port/postgres" && return 0
    sleep 1
  done
}

# npm ci when node_modules is missing or package-lock.json changed since the last install
# (npm writes node_modules/.package-lock.json at the end of every install).
tdm_ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    tdm_say "npm ci"
    npm ci --no-audit --no-fund
  else
    tdm_say "node_modules up to date with package-lock.json"
  fi
}

# One line naming everything this run installed (or that nothing was).
tdm_install_summary() {
  if [ "${#TDM_INSTALLED[@]}" -eq 0 ]; then
    tdm_say "installed nothing: everything was there"
  else
    tdm_say "installed Debian packages: ${TDM_INSTALLED[*]}"
  fi
}

# Everything the test suite needs on the machine, each only when missing: the binaries the
# tests start themselves (nats-server, dnsmasq, nginx, chromium, promtool) and a PostgreSQL
# server at TEST_DATABASE_URL. Shared by .ci/run and the README's set-up command.
tdm_ensure_test_prerequisites() {
  tdm_ensure_nats_server
  tdm_ensure_dnsmasq
  tdm_ensure_nginx
  tdm_ensure_chromium
  tdm_ensure_promtool
  export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if command -v psql >/dev/null 2>&1 && tdm_pg_can_connect "$TEST_DATABASE_URL"; then
    tdm_say "have PostgreSQL at TEST_DATABASE_URL"
  else
    tdm_ensure_postgres main 5432
    tdm_pg_can_connect "$TEST_DATABASE_URL" || tdm_die "cannot connect to TEST_DATABASE_URL=$TEST_DATABASE_URL"
  fi
  export TDM_CHROMIUM_PATH="${TDM_CHROMIUM_PATH:-$(command -v chromium)}"
}
