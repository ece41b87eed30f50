// Shared by the libFuzzer targets (tests/fuzz/fuzz_*.cpp, built by scripts/fuzz.sh against
// prunekit_parse only). A parser may refuse its input only with prunekit::InputError (what the tools
// turn into exit code 2 and one line naming the file); any other exception escapes the target, so
// libFuzzer reports it (uncaught exception -> abort) as a finding, as it does every ASan/UBSan report.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "prunekit/common.h"

#define PRUNEKIT_FUZZ_TARGET(...)                                                      \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {            \
    const std::string input(reinterpret_cast<const char*>(data), size);                \
    try {                                                                              \
      __VA_ARGS__                                                                      \
    } catch (const prunekit::InputError&) {                                            \
    }                                                                                  \
    return 0;                                                                          \
  }
