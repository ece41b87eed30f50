// Progress of a long loop on stderr. On a terminal: one bar redrawn in place, with elapsed time
// and ETA. Elsewhere (a log file, nohup, a pipe): one timestamped log line per step,
//   [2026-12-07 16:40:01] prune: layer 3/8 done, elapsed 12.3 s, ETA 20.1 s
// (at most about 100 lines for a long loop: every ceil(total / 100)-th step and the last).
// Nothing with quiet, or when the log level is above info (--quiet, --log-level warn).
#pragma once
#include <string>

#include "prunekit/common.h"

namespace prunekit {

class ProgressBar {
 public:
  // phase: what runs, after the program's name ("" for the tool's main loop, "owl pass", a task
  // name); unit: what one step is ("layer", "item", "step").
  ProgressBar(std::string phase, int64_t total, bool quiet = false, std::string unit = "step");
  ~ProgressBar();
  void update(int64_t done, const std::string& detail = "");
  void finish();

 private:
  std::string phase_, unit_;
  int64_t total_;
  bool enabled_, tty_;
  bool finished_ = false;
  int64_t stride_ = 1;
  Stopwatch clock_;
};

}  // namespace prunekit
