#!/usr/bin/env bash
# Tools for `make e2e`, installed once and reused (idempotent):
#  - Debian's chromium (+ chromium-driver), driven by Playwright's Python API through
#    executable_path: Playwright's own browser download is never used;
#  - the Bruno CLI and newman, from npm with the machine's node/npm, into .e2e/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."

BRUNO_CLI_VERSION=4.1.0
NEWMAN_VERSION=6.2.2

apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e setup: installing chromium from Debian"
  apt_install chromium chromium-driver
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "e2e setup: installing node and npm from Debian"
  apt_install nodejs npm
fi

installed_version() {  # version of an npm package in .e2e/, or nothing
  local manifest=".e2e/node_modules/$1/package.json"
  [ -f "$manifest" ] && node -p "require('./$manifest').version" 2>/dev/null || true
}

if [ "$(installed_version @usebruno/cli)" != "$BRUNO_CLI_VERSION" ] || [ "$(installed_version newman)" != "$NEWMAN_VERSION" ]; then
  echo "e2e setup: installing @usebruno/cli@$BRUNO_CLI_VERSION and newman@$NEWMAN_VERSION into .e2e/"
  mkdir -p .e2e
  npm install --prefix .e2e --no-audit --no-fund --loglevel=error \
    "@usebruno/cli@$BRUNO_CLI_VERSION" "newman@$NEWMAN_VERSION"
fi

/usr/bin/chromium --version 2>/dev/null | head -1 || true
echo "bru $(installed_version @usebruno/cli), newman $(installed_version newman)"
