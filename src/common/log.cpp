// The logging module (prunekit/log.h): one spdlog logger on stderr with our own line format.
#include "prunekit/log.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>

#include "prunekit/common.h"

namespace prunekit {
namespace log {

namespace {

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::Trace: return spdlog::level::trace;
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    case Level::Error: return spdlog::level::err;
    case Level::Off: break;
  }
  return spdlog::level::off;
}

std::string& program_name() {
  static std::string name = program_invocation_short_name;
  return name;
}

// "[2026-12-07 16:40:01] prune: warning: message" (no stamp on a terminal, no label at info).
class LineFormatter : public spdlog::formatter {
 public:
  explicit LineFormatter(bool stamp) : stamp_(stamp) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (stamp_) {
      const std::time_t t = std::chrono::system_clock::to_time_t(msg.time);
      std::tm tm{};
      ::localtime_r(&t, &tm);
      char buf[32];
      const size_t n = std::strftime(buf, sizeof buf, "[%Y-%m-%d %H:%M:%S] ", &tm);
      dest.append(buf, buf + n);
    }
    const std::string& prog = program_name();
    dest.append(prog.data(), prog.data() + prog.size());
    dest.append(std::string_view(": "));
    const char* label = nullptr;
    switch (msg.level) {
      case spdlog::level::trace: label = "trace: "; break;
      case spdlog::level::debug: label = "debug: "; break;
      case spdlog::level::warn: label = "warning: "; break;
      case spdlog::level::err: label = "error: "; break;
      case spdlog::level::critical: label = "critical: "; break;
      default: break;
    }
    if (label) dest.append(label, label + std::strlen(label));
    dest.append(msg.payload.begin(), msg.payload.end());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LineFormatter>(stamp_); }

 private:
  bool stamp_;
};

Level g_level = Level::Info;

}  // namespace

Level level_from_name(const std::string& name) {
  static const std::pair<const char*, Level> names[] = {{"trace", Level::Trace}, {"debug", Level::Debug},
                                                        {"info", Level::Info},   {"warn", Level::Warn},
                                                        {"error", Level::Error}, {"off", Level::Off}};
  for (const auto& [n, l] : names)
    if (name == n) return l;
  throw InputError("unknown log level \"" + name + "\" (" + kLevelNames + ")");
}

const char* level_name(Level level) {
  switch (level) {
    case Level::Trace: return "trace";
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
    case Level::Off: break;
  }
  return "off";
}

bool stderr_is_tty() {
  static const bool tty = ::isatty(STDERR_FILENO) == 1;
  return tty;
}

spdlog::logger& logger() {
  // Not registered in spdlog's registry: the library's logger is its own, whatever the host does.
  static spdlog::logger* const lg = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_formatter(std::make_unique<LineFormatter>(!stderr_is_tty()));
    auto* l = new spdlog::logger("prunekit", sink);  // leaked: usable until the very end of the process
    l->set_level(to_spdlog(g_level));
    l->flush_on(spdlog::level::trace);  // every line at once (a log followed with tail -f)
    return l;
  }();
  return *lg;
}

void set_level(Level level) {
  g_level = level;
  logger().set_level(to_spdlog(level));
}
Level level() { return g_level; }
bool enabled(Level l) { return l != Level::Off && static_cast<int>(l) >= static_cast<int>(g_level); }

void set_program(const std::string& name) { program_name() = name; }
const std::string& program() { return program_name(); }

}  // namespace log
}  // namespace prunekit
