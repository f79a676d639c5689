#!/usr/bin/env bash
# `npm test`: make sure the system parts the integration tests need are present, then run jest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
npm run --silent build
NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules" exec npx jest "$@"
