// Upstream-exact calibration sampling: CPython's random (MT19937, seed(int), randint) and the
// C4 window sampler of locuslab/wanda's data loader (CONVENTIONS.md section 5).
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace prunekit {

class PyRandom {
 public:
  explicit PyRandom(uint64_t seed = 0) { seed_int(seed); }
  void seed_int(uint64_t n);  // random.seed(n) for a non-negative int
  void init_by_array(const std::vector<uint32_t>& key);
  void init_genrand(uint32_t s);
  uint32_t genrand_uint32();
  uint32_t getrandbits(int k);  // 1 <= k <= 32
  uint64_t randbelow(uint64_t n);
  int64_t randint(int64_t a, int64_t b);  // inclusive
  // random.sample(range(n), k): k distinct indices in CPython's order (lm-eval's few-shot draw).
  std::vector<int64_t> sample(int64_t n, int64_t k);
  const std::array<uint32_t, 624>& state() const { return mt_; }
  int index() const { return mti_; }

 private:
  std::array<uint32_t, 624> mt_{};
  int mti_ = 625;
};

struct CalibWindow {
  int64_t doc = 0;     // index of the document in the corpus
  int64_t start = 0;   // token offset of the window in the BOS-prefixed tokenisation
  int64_t doc_tokens = 0;
};

struct CalibSet {
  at::Tensor input_ids;  // int64 [nsamples, seqlen]
  std::vector<CalibWindow> windows;
  std::vector<int64_t> rejected_docs;                 // documents drawn but too short
  std::vector<std::array<int64_t, 3>> randint_draws;  // (a, b, result) of every randint
};

// tokenize(doc) must return the BOS-prefixed ids. Documents are tokenised only when drawn.
// InputError when no document is longer than seqlen (upstream would loop forever).
CalibSet sample_windows(const std::vector<std::string>& docs,
                        const std::function<std::vector<int>(const std::string&)>& tokenize,
                        int64_t nsamples, int64_t seqlen, uint64_t seed);

}  // namespace prunekit
