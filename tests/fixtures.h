// Test helpers: where the fixtures are, temporary directories, running the tools.
// Fixtures live in the repository under tests/fixtures/ (models/, data/, reference/: the layout of
// the project's shared fixture folder, provenance in tests/fixtures/README.md), so a fresh clone runs
// every test. A path not found there is looked up in $PRUNEKIT_SHARED, else ../shared (large
// fixtures a developer keeps outside the repo). A fixture found nowhere FAILS the test: a test
// that skips silently could never catch anything.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "prunekit/common.h"

namespace prunekit_test {

inline bool path_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}
// The in-repo fixture tree.
inline std::string repo_fixtures_root() { return std::string(PRUNEKIT_SOURCE_DIR) + "/tests/fixtures"; }
// The out-of-repo fixture tree: $PRUNEKIT_SHARED, else ../shared beside the checkout.
inline std::string shared_root() {
  if (const char* env = std::getenv("PRUNEKIT_SHARED")) return env;
  return std::string(PRUNEKIT_SOURCE_DIR) + "/../shared";
}
// Where the fixture REL (e.g. "models/stories260K") is: the in-repo copy first, else the shared
// tree (the returned path may not exist; PRUNEKIT_FIXTURE checks).
inline std::string fixture_path(const std::string& rel) {
  const std::string in_repo = repo_fixtures_root() + "/" + rel;
  return path_exists(in_repo) ? in_repo : shared_root() + "/" + rel;
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

// A file's bytes ("" when it cannot be read), and a file written with exactly `bytes`.
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
inline void spit(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Run `fn`, expecting an InputError whose message contains every needle (and, with one_line,
// no newline: the tools print it as their one error line).
inline void expect_input_error(const std::function<void()>& fn, const std::vector<std::string>& needles,
                               bool one_line = true) {
  try {
    fn();
    ADD_FAILURE() << "no InputError (expected one mentioning \"" << needles.back() << "\")";
  } catch (const prunekit::InputError& e) {
    const std::string msg = e.what();
    if (one_line) EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    for (const std::string& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg << "\nlacks: " << n;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}
// The same with one needle and no line check.
inline void expect_input_error_mentioning(const std::function<void()>& fn, const std::string& needle) {
  expect_input_error(fn, {needle}, /*one_line=*/false);
}

// A fresh empty temporary directory for one test.
inline std::string temp_dir(const std::string& tag) {
  std::string tmpl = "/tmp/prunekit-test-" + tag + "-XXXXXX";
  char* d = ::mkdtemp(tmpl.data());
  return d ? std::string(d) : std::string();
}

}  // namespace prunekit_test

// Declares std::string VAR = the path of fixture REL (tests/fixtures/REL, else <shared>/REL), or
// fails the test when it is in neither place.
#define PRUNEKIT_FIXTURE(VAR, REL)                                                                  \
  std::string VAR = prunekit_test::fixture_path(REL);                                               \
  if (!prunekit_test::path_exists(VAR)) {                                                           \
    FAIL() << "fixture missing: " << (REL) << " (neither in " << prunekit_test::repo_fixtures_root() \
           << " nor in " << prunekit_test::shared_root() << ")";                                    \
  }
