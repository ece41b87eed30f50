// Logging: every log line of the library and the tools goes through here (spdlog, on stderr).
// A line reads "<program>: <level>: <message>" ("<program>: <message>" at info); when stderr is
// not a terminal (a log file, nohup, a pipe) it starts with a "[YYYY-mm-dd HH:MM:SS] " local-time
// stamp. <program> is set by the tools layer (tools/common/cli.cpp), else the executable's name.
//
// Not log lines, and so not here: the one-line "<tool>: error: ..." / "<tool>: failed: ..." that
// ends a tool (tools/common/cli.cpp prints it with its exact text), the tools' results on stdout,
// the async-signal-safe line of the interrupt handler and the test hook of debug_pause().
#pragma once
#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace prunekit {
namespace log {

enum class Level { Trace, Debug, Info, Warn, Error, Off };
// "trace|debug|info|warn|error|off"; InputError for anything else.
Level level_from_name(const std::string& name);
const char* level_name(Level level);
constexpr const char* kLevelNames = "trace|debug|info|warn|error|off";

// The level below which nothing is written (default: info).
void set_level(Level level);
Level level();
bool enabled(Level level);
// The prefix of every line (the tool's name).
void set_program(const std::string& name);
const std::string& program();
// Whether stderr is a terminal (progress draws a bar there, timestamped lines elsewhere).
bool stderr_is_tty();

spdlog::logger& logger();

// fmt-style, one function per level: log::warn("{} has {} inputs", name, n).
#define PRUNEKIT_LOG_AT(level)                                                 \
  template <typename... Args>                                                  \
  void level(spdlog::format_string_t<Args...> fmt, Args&&... args) {           \
    logger().level(fmt, std::forward<Args>(args)...);                          \
  }
PRUNEKIT_LOG_AT(trace)
PRUNEKIT_LOG_AT(debug)
PRUNEKIT_LOG_AT(info)
PRUNEKIT_LOG_AT(warn)
PRUNEKIT_LOG_AT(error)
#undef PRUNEKIT_LOG_AT

}  // namespace log
}  // namespace prunekit
