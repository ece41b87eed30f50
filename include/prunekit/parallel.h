// The thread pool of prunekit's own kernels (src/ops): short parallel regions (one GEMM of a
// decode step: 0.1-5 ms) split over the calling thread and up to at::get_num_threads() - 1 pool
// workers.
//
// Why not OpenMP (at::parallel_for): its team splits the work statically and ends in a barrier,
// so a region lasts as long as its slowest thread. On a machine with other processes (a laptop, a
// shared server) a worker that is not on a core -- asleep in a passive wait, or preempted -- holds
// the whole region: measured on a 2-vCPU Zen with one competing process, 2 threads took 80 ms per
// llama-2-7b layer where 1 took 47 ms, on the scheduler's 4 ms tick.
// Here chunks are claimed one at a time from a shared counter and the caller works too, so the
// caller never waits for a worker that has not started: a late worker finds the work done and
// goes back to waiting. The caller waits only for chunks a worker has already claimed.
// Wait policy of an idle worker: spin on the counter (pause, and a sched_yield every 64 polls so
// that another process on that core is not starved) for a short window -- decode's regions come
// back to back -- then sleep on a condition variable. $PRUNEKIT_SPIN_US sets the window
// (microseconds, default 200; 0 = sleep at once). A worker preempted while it holds a chunk still
// makes the caller wait; when regions keep waiting for one (> 1 ms and longer than the caller's own
// share, 3 times), the next 64 regions run on the caller alone, then threads are tried again.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace prunekit {
namespace ops {

// f(begin, end) over [0, n) in chunks of at least `grain`, each chunk exactly once; returns when
// all are done. Runs inline when n <= grain or one thread is configured. Not reentrant from inside
// f (a nested call runs inline).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& f);

// One line: "caller + N workers; claim chunks; idle: spin 200 us (pause, yield) then sleep".
std::string wait_policy();

// Diagnostic: how many distinct threads run chunks of a region of n chunks when each chunk waits
// (up to 2 s) for the others to arrive: min(n, at::get_num_threads()) when the pool works.
int parallel_threads_used(int64_t n);

}  // namespace ops
}  // namespace prunekit
