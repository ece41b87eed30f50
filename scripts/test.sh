#!/usr/bin/env bash
# Build and run the whole test suite through ctest (scripts/test.sh --sanitize: the parser tests
# under ASan + UBSan, see below). The fixtures are in the repository
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
# --sanitize: the parsers under AddressSanitizer + UndefinedBehaviorSanitizer instead of the suite:
# prunekit_parse (every parser of untrusted input, no LibTorch) and the tests that need nothing else
# (tests/test_parse.cpp, tests/test_tokenizer.cpp but its two tests of the LibTorch-linked
# `tokenize` tool), built into ${ASAN_BUILD_DIR:-build-asan}/ and run as one process; any sanitizer
# report fails the run. Extra arguments go to the test binary (e.g. --gtest_filter=Parse.*).
if [ "${1:-}" = "--sanitize" ]; then
  shift
  ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
  if [ ! -f "$ASAN_BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$ASAN_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRUNEKIT_PARSE_ONLY=ON \
      -DPRUNEKIT_SANITIZE=ON >/dev/null
  fi
  cmake --build "$ASAN_BUILD_DIR" -j "$(nproc)" --target prunekit_parse_tests
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  exec "$ASAN_BUILD_DIR/bin/prunekit_parse_tests" --gtest_filter='-Tokenizer.Tool*' "$@"
fi
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
