#!/usr/bin/env bash
# A new user's first command: installs what is missing (node modules; nats-server, which
# `tdm demo` starts as a child process; and what `npm test` needs: dnsmasq, nginx, chromium, promtool,
# a PostgreSQL server on 127.0.0.1:5432), builds, and runs `tdm demo`. Safe to run again: each step is skipped when its result is there.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/install.sh
. scripts/lib/install.sh

tdm_ensure_node
tdm_ensure_test_prerequisites
tdm_install_summary
tdm_ensure_node_modules

tdm_say "npm run build"
npm run build --silent

tdm_say "node services/cli/dist/main.js demo $*"
exec node services/cli/dist/main.js demo "$@"
