#!/usr/bin/env bash
# Build and run the whole test suite through ctest. Fixtures: $PRUNEKIT_SHARED, else ../shared
# (tests that need a missing fixture skip with a message, or fail when CI/PRUNEKIT_SHARED is set).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh
if [ -z "${PRUNEKIT_SHARED:-}" ] && [ -d ../shared ]; then
  export PRUNEKIT_SHARED=$(cd ../shared && pwd)
fi
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
