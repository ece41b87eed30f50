// A one-line progress bar on stderr, shown only when stderr is a TTY and not --quiet.
#pragma once
#include <string>

#include "prunekit/common.h"

namespace prunekit {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool quiet = false);
  ~ProgressBar();
  void update(int64_t done, const std::string& detail = "");
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
  Stopwatch clock_;
};

}  // namespace prunekit
