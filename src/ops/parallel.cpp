// The kernels' thread pool (include/prunekit/parallel.h).
#include "prunekit/parallel.h"

#include <ATen/Parallel.h>
#include <immintrin.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace prunekit {
namespace ops {
namespace {

// The claim counter packs a region's generation, chunk count and next unclaimed chunk in one
// word, so that one compare-and-swap both checks that a chunk belongs to the current region and
// takes it: a worker that wakes late can never run a chunk of a region that has ended.
constexpr int kChunkBits = 18;
constexpr uint64_t kChunkMask = (uint64_t{1} << kChunkBits) - 1;
constexpr int64_t kMaxChunks = static_cast<int64_t>(kChunkMask);
inline uint64_t next_of(uint64_t t) { return t & kChunkMask; }
inline uint64_t count_of(uint64_t t) { return (t >> kChunkBits) & kChunkMask; }
inline uint64_t gen_of(uint64_t t) { return t >> (2 * kChunkBits); }
inline bool claimable(uint64_t t) { return next_of(t) < count_of(t); }

int spin_us_from_env() {
  const char* env = std::getenv("PRUNEKIT_SPIN_US");
  if (!env || !*env) return 200;
  const int v = std::atoi(env);
  return v < 0 ? 0 : v;
}

thread_local bool t_in_region = false;

class Pool {
 public:
  Pool() : spin_us_(spin_us_from_env()) {}

  int spin_us() const { return spin_us_; }

  // True while the caller should run regions alone (see run()).
  bool solo() {
    int left = solo_left_.load(std::memory_order_relaxed);
    while (left > 0)
      if (solo_left_.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) return true;
    return false;
  }

  void run(int64_t n, int64_t grain, int threads, const std::function<void(int64_t, int64_t)>& f) {
    using Clock = std::chrono::steady_clock;
    std::lock_guard<std::mutex> one_region(region_mu_);  // regions from different callers queue
    const auto start = Clock::now();
    ensure_workers(threads - 1);
    int64_t chunks = (n + grain - 1) / grain;
    if (chunks > kMaxChunks) {
      grain = (n + kMaxChunks - 1) / kMaxChunks;
      chunks = (n + grain - 1) / grain;
    }
    fn_ = &f;
    n_ = n;
    grain_ = grain;
    helpers_.store(threads - 1, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    const uint64_t gen = gen_of(ticket_.load(std::memory_order_relaxed)) + 1;
    ticket_.store((gen << (2 * kChunkBits)) | (static_cast<uint64_t>(chunks) << kChunkBits),
                  std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(sleep_mu_);
      wake_.notify_all();
    }
    t_in_region = true;
    work();
    t_in_region = false;
    const auto worked = Clock::now();
    // Only chunks a worker has claimed can still be running: wait for them.
    for (int polls = 0; done_.load(std::memory_order_acquire) < chunks; ++polls) {
      _mm_pause();
      if ((polls & 63) == 63) sched_yield();
    }
    fn_ = nullptr;
    // A worker preempted while it holds a chunk (an oversubscribed machine) makes the caller wait
    // for a scheduler slice. When that happens in 3 regions without a clean one between, the
    // next kSoloRegions regions run on the caller alone, then threads are tried again.
    const auto waited = Clock::now() - worked;
    if (waited > std::chrono::milliseconds(1) && waited > worked - start) {
      if (++late_regions_ >= 3) {
        late_regions_ = 0;
        solo_left_.store(kSoloRegions, std::memory_order_relaxed);
      }
    } else if (late_regions_ > 0) {
      --late_regions_;
    }
  }

  static constexpr int kSoloRegions = 64;

 private:
  // Claim and run chunks of the current region until none is left.
  void work() {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    while (claimable(t)) {
      if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire))
        continue;
      // The chunk is ours, so its region cannot end before we report it: its fields are valid.
      const int64_t c = static_cast<int64_t>(next_of(t));
      const int64_t b = c * grain_, e = std::min(n_, b + grain_);
      (*fn_)(b, e);
      done_.fetch_add(1, std::memory_order_acq_rel);
      t = ticket_.load(std::memory_order_acquire);
    }
  }

  void worker_main(int index) {
    t_in_region = true;  // a kernel called from a chunk runs inline
    for (;;) {
      wait_for_work();
      if (index < helpers_.load(std::memory_order_relaxed)) work();
      else idle_until_next_region();
    }
  }

  // Spin (pause; yield every 64 polls) for spin_us_, then sleep until a region has chunks left.
  void wait_for_work() {
    using Clock = std::chrono::steady_clock;
    const auto until = Clock::now() + std::chrono::microseconds(spin_us_);
    for (int polls = 0;; ++polls) {
      if (claimable(ticket_.load(std::memory_order_acquire))) return;
      _mm_pause();
      if ((polls & 63) == 63) {
        if (Clock::now() >= until) break;
        sched_yield();
      }
    }
    std::unique_lock<std::mutex> lock(sleep_mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    wake_.wait(lock, [&] { return claimable(ticket_.load(std::memory_order_seq_cst)); });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

  // A worker beyond this region's thread count: wait until the region is over.
  void idle_until_next_region() {
    const uint64_t gen = gen_of(ticket_.load(std::memory_order_acquire));
    while (gen_of(ticket_.load(std::memory_order_acquire)) == gen &&
           claimable(ticket_.load(std::memory_order_acquire)))
      sched_yield();
  }

  void ensure_workers(int want) {
    while (static_cast<int>(workers_.size()) < want) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { worker_main(index); });
      workers_.back().detach();  // the pool lives as long as the process
    }
  }

  const int spin_us_;
  std::mutex region_mu_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, grain_ = 1;
  std::atomic<int> helpers_{0};
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int> sleepers_{0};
  int late_regions_ = 0;             // under region_mu_
  std::atomic<int> solo_left_{0};
  std::mutex sleep_mu_;
  std::condition_variable wake_;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached workers may still poll it at exit
  return *p;
}

}  // namespace

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& f) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int threads = at::get_num_threads();
  if (threads <= 1 || n <= grain || t_in_region || pool().solo()) {
    f(0, n);
    return;
  }
  pool().run(n, grain, threads, f);
}

std::string wait_policy() {
  const int spin = pool().spin_us();
  std::string s = "prunekit pool: caller + " + std::to_string(std::max(0, at::get_num_threads() - 1)) +
                  " workers claiming chunks; idle worker: ";
  if (spin > 0) s += "spin " + std::to_string(spin) + " us (pause, sched_yield every 64 polls), then ";
  return s + "sleep ($PRUNEKIT_SPIN_US); after 3 regions that waited > 1 ms for a preempted worker, " +
         std::to_string(Pool::kSoloRegions) + " regions on the caller alone";
}

int parallel_threads_used(int64_t n) {
  std::mutex mu;
  std::set<std::thread::id> ids;
  const int threads = std::max(1, at::get_num_threads());
  const size_t expect = static_cast<size_t>(std::min<int64_t>(n, threads));
  const std::function<void(int64_t, int64_t)> chunk = [&](int64_t, int64_t) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
    }
    // Hold this chunk until the other threads have taken one (or 2 s passed): the caller alone
    // could otherwise finish every chunk before a sleeping worker is on a core.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (ids.size() >= expect) break;
      }
      std::this_thread::yield();
    }
  };
  // Straight to the pool (not parallel_for): the diagnostic asks what the threads do, not whether
  // an earlier oversubscribed stretch put the caller in its solo period.
  if (threads > 1 && n > 1 && !t_in_region) pool().run(n, 1, threads, chunk);
  else chunk(0, n);
  return static_cast<int>(ids.size());
}

}  // namespace ops
}  // namespace prunekit
