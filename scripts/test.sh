#!/usr/bin/env bash
# Build and run the whole test suite through ctest. The fixtures are in the repository
# (tests/fixtures/), so nothing beside the checkout is needed; a fixture a test names that is not
# there is looked up in $PRUNEKIT_SHARED, else ../shared (tests/fixtures.h).
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
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
