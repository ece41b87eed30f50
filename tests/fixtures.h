// Test helpers: where the shared fixtures are, and skipping vs failing when one is missing.
// A missing fixture FAILS when CI is set or PRUNEKIT_SHARED is set (the user asked for them), and
// SKIPS with a visible message otherwise.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/stat.h>

namespace prunekit_test {

inline std::string shared_root() {
  if (const char* env = std::getenv("PRUNEKIT_SHARED")) return env;
  return std::string(PRUNEKIT_SOURCE_DIR) + "/../shared";
}
inline bool fixtures_required() {
  const char* ci = std::getenv("CI");
  return std::getenv("PRUNEKIT_SHARED") != nullptr || (ci && *ci && std::string(ci) != "false");
}
inline bool path_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}
inline std::string bin(const std::string& tool) { return std::string(PRUNEKIT_BIN_DIR) + "/" + tool; }

struct CmdResult {
  int code = -1;
  std::string output;  // stdout + stderr
};
// Run a shell command, capturing both streams.
inline CmdResult run_cmd(const std::string& cmd) {
  CmdResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A fresh empty temporary directory for one test.
inline std::string temp_dir(const std::string& tag) {
  std::string tmpl = "/tmp/prunekit-test-" + tag + "-XXXXXX";
  char* d = ::mkdtemp(tmpl.data());
  return d ? std::string(d) : std::string();
}

}  // namespace prunekit_test

// Declares std::string VAR = <shared>/REL, or skips / fails the test when it is missing.
#define PRUNEKIT_FIXTURE(VAR, REL)                                                              \
  std::string VAR = prunekit_test::shared_root() + "/" + (REL);                                 \
  if (!prunekit_test::path_exists(VAR)) {                                                       \
    if (prunekit_test::fixtures_required()) {                                                   \
      FAIL() << "fixture missing: " << VAR << " (CI/PRUNEKIT_SHARED set: fixtures are required)"; \
    } else {                                                                                    \
      GTEST_SKIP() << "fixture missing: " << VAR << " (set PRUNEKIT_SHARED to run this test)";  \
    }                                                                                           \
  }
