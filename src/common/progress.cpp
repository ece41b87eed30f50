// Progress on stderr (prunekit/progress.h): a bar redrawn in place on a terminal, else log lines.
#include "prunekit/progress.h"

#include <cstdio>

#include "prunekit/log.h"

namespace prunekit {

ProgressBar::ProgressBar(std::string phase, int64_t total, bool quiet, std::string unit)
    : phase_(std::move(phase)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(!quiet && total > 0 && log::enabled(log::Level::Info)),
      tty_(log::stderr_is_tty()),
      stride_(total > 100 ? (total + 99) / 100 : 1) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done, const std::string& detail) {
  if (!enabled_ || finished_) return;
  const double elapsed = clock_.seconds();
  const double eta = done > 0 ? elapsed / double(done) * double(total_ - done) : 0.0;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total_);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    // The bar is redrawn in place, so it is written directly, not as a log line.
    std::fprintf(stderr, "\r%s%s%s [%s] %lld/%lld %ss %.1fs ETA %.1fs %s\033[K", log::program().c_str(),
                 phase_.empty() ? "" : " ", phase_.c_str(), bar.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total_), unit_.c_str(), elapsed, eta, detail.c_str());
    std::fflush(stderr);
    return;
  }
  if (done % stride_ != 0 && done != total_) return;
  log::info("{}{}{} {}/{} done, elapsed {:.1f} s, ETA {:.1f} s{}", phase_, phase_.empty() ? "" : ": ", unit_, done,
            total_, elapsed, eta, detail.empty() ? "" : " (" + detail + ")");
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace prunekit
