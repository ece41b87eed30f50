// Shared plumbing for the thin executables under tools/: error -> exit code mapping, threads.
// Exit codes: 0 ok, 1 run failed, 2 bad usage or bad input (one line naming the file/flag).
#pragma once
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include "prunekit/common.h"

namespace prunekit {

// Parse argv; on --help print and return 0 via *exit_code, on a bad flag print one line and 2.
inline bool parse_cli(CLI::App& app, int argc, char** argv, int* exit_code) {
  try {
    app.parse(argc, argv);
    return true;
  } catch (const CLI::CallForHelp& e) {
    *exit_code = app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    *exit_code = app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s\n", app.get_name().c_str(), e.what());
    *exit_code = 2;
  }
  return false;
}

// Run a tool body, mapping InputError to exit 2 and IoError (disk full, ...) or any other
// failure to exit 1.
inline int guarded_main(const char* tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputError& e) {
    std::fprintf(stderr, "%s: error: %s\n", tool, e.what());
    return 2;
  } catch (const IoError& e) {
    std::fprintf(stderr, "%s: failed: %s\n", tool, e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: failed: %s\n", tool, e.what());
    return 1;
  }
}

// --threads N (default: all cores) on every tool.
inline void add_threads_flag(CLI::App& app, int* threads) {
  app.add_option("--threads", *threads, "intra-op threads (default: all cores)");
}

}  // namespace prunekit
