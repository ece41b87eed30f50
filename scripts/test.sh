#!/usr/bin/env bash
# Build and run the whole test suite through ctest. Fixtures: $PRUNEKIT_SHARED, else ../shared
# (tests that need a missing fixture skip with a message, or fail when CI/PRUNEKIT_SHARED is set).
set -euo pipefail
# ctest runs the tests inside the build directory: make a relative PRUNEKIT_SHARED absolute first
# (relative to where this script was started).
if [ -n "${PRUNEKIT_SHARED:-}" ] && [ "${PRUNEKIT_SHARED#/}" = "$PRUNEKIT_SHARED" ] && [ -d "$PRUNEKIT_SHARED" ]; then
  PRUNEKIT_SHARED=$(cd "$PRUNEKIT_SHARED" && pwd)
  export PRUNEKIT_SHARED
fi
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh
if [ -z "${PRUNEKIT_SHARED:-}" ] && [ -d ../shared ]; then
  export PRUNEKIT_SHARED=$(cd ../shared && pwd)
fi
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
