#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the Debian test peers when missing (root needed for that; see
# scripts/install-test-peers.sh), installs npm dependencies when needed, then typecheck + lint + tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-peers.sh
# `npm install`, not `npm ci`: this registry setup records no resolved URLs, and npm then leaves other platforms'
# optional binaries (biome, esbuild) out of the lock file, which `npm ci` refuses; install honours the lock all the same.
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm install --no-audit --no-fund
fi
npm run check
