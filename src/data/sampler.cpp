// CPython's random module (Modules/_randommodule.c + Lib/random.py) and wanda's C4 sampler
// (lib/data.py get_c4), bit for bit: CONVENTIONS.md section 5.
#include "prunekit/sampler.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <stdexcept>

#include "prunekit/common.h"

namespace prunekit {

namespace {
constexpr int kN = 624;
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

int bit_length(uint64_t n) {
  int k = 0;
  while (n) {
    ++k;
    n >>= 1;
  }
  return k;
}
}  // namespace

void PyRandom::init_genrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i)
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  mti_ = kN;
}

void PyRandom::init_by_array(const std::vector<uint32_t>& key) {
  init_genrand(19650218U);
  const size_t klen = key.empty() ? 1 : key.size();  // CPython never passes an empty key
  int i = 1;
  size_t j = 0;
  for (size_t k = std::max<size_t>(kN, klen); k; --k) {
    const uint32_t kj = key.empty() ? 0 : key[j];
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + kj + static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= klen) j = 0;
  }
  for (int k = kN - 1; k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;  // MSB is 1, assuring a non-zero initial array
  mti_ = kN;
}

void PyRandom::seed_int(uint64_t n) {
  // random_seed(): key = 32-bit words of abs(n), least significant first, no trailing zero words;
  // n = 0 gives the one-word key [0].
  std::vector<uint32_t> key;
  for (uint64_t v = n; v; v >>= 32) key.push_back(static_cast<uint32_t>(v & 0xffffffffU));
  if (key.empty()) key.push_back(0);
  init_by_array(key);
}

uint32_t PyRandom::genrand_uint32() {
  if (mti_ >= kN) {
    for (int k = 0; k < kN; ++k) {
      const uint32_t y = (mt_[k] & kUpperMask) | (mt_[(k + 1) % kN] & kLowerMask);
      mt_[k] = mt_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
    }
    mti_ = 0;
  }
  uint32_t y = mt_[mti_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

uint32_t PyRandom::getrandbits(int k) {
  if (k < 1 || k > 32) throw std::invalid_argument("getrandbits: k must be in 1..32");
  return genrand_uint32() >> (32 - k);
}

uint64_t PyRandom::randbelow(uint64_t n) {
  if (n == 0) throw std::invalid_argument("randbelow: n must be positive");
  // Lib/random.py _randbelow_with_getrandbits: k = n.bit_length() (not of n - 1), reject r >= n.
  const int k = bit_length(n);
  for (;;) {
    uint64_t r;
    if (k <= 32) {
      r = getrandbits(k);
    } else {  // getrandbits(k > 32): 32-bit words least significant first, the top one shifted
      const uint64_t lo = genrand_uint32();
      const uint64_t hi = genrand_uint32() >> (64 - k);
      r = lo | (hi << 32);
    }
    if (r < n) return r;
  }
}

int64_t PyRandom::randint(int64_t a, int64_t b) {
  if (b < a) throw std::invalid_argument("randint: empty range");
  return a + static_cast<int64_t>(randbelow(static_cast<uint64_t>(b - a) + 1));
}

std::vector<int64_t> PyRandom::sample(int64_t n, int64_t k) {
  if (k < 0 || k > n) throw std::invalid_argument("sample: k must be in 0..n");
  // Lib/random.py sample(): a partial Fisher-Yates over a copy of the population when that list
  // is smaller than the set of picks would be, else rejection of repeats.
  std::vector<int64_t> result(static_cast<size_t>(k));
  int64_t setsize = 21;  // size of a small set minus size of an empty list
  if (k > 5) setsize += static_cast<int64_t>(std::pow(4.0, std::ceil(std::log(double(k * 3)) / std::log(4.0))));
  if (n <= setsize) {
    std::vector<int64_t> pool(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) pool[i] = i;
    for (int64_t i = 0; i < k; ++i) {
      const int64_t j = static_cast<int64_t>(randbelow(static_cast<uint64_t>(n - i)));
      result[i] = pool[j];
      pool[j] = pool[n - i - 1];  // move the non-selected item into the vacancy
    }
  } else {
    std::set<int64_t> selected;
    for (int64_t i = 0; i < k; ++i) {
      int64_t j = static_cast<int64_t>(randbelow(static_cast<uint64_t>(n)));
      while (selected.count(j)) j = static_cast<int64_t>(randbelow(static_cast<uint64_t>(n)));
      selected.insert(j);
      result[i] = j;
    }
  }
  return result;
}

CalibSet sample_windows(const std::vector<std::string>& docs,
                        const std::function<std::vector<int>(const std::string&)>& tokenize,
                        int64_t nsamples, int64_t seqlen, uint64_t seed) {
  if (docs.empty()) throw InputError("calibration corpus: no documents");
  if (seqlen < 1) throw InputError("seqlen must be positive, got " + std::to_string(seqlen));
  if (nsamples < 0) throw InputError("nsamples must not be negative, got " + std::to_string(nsamples));

  const int64_t ndocs = static_cast<int64_t>(docs.size());
  // Tokenisations of the documents drawn so far (upstream re-tokenises; same ids, less work).
  std::vector<std::unique_ptr<std::vector<int>>> cache(docs.size());
  int64_t tokenized = 0, long_enough = 0;
  auto tokens_of = [&](int64_t d) -> const std::vector<int>& {
    auto& slot = cache[static_cast<size_t>(d)];
    if (!slot) {
      slot = std::make_unique<std::vector<int>>(tokenize(docs[static_cast<size_t>(d)]));
      ++tokenized;
      if (static_cast<int64_t>(slot->size()) > seqlen) ++long_enough;
    }
    return *slot;
  };
  auto refuse = [&] {
    throw InputError("calibration corpus: no document is longer than seqlen " +
                     std::to_string(seqlen) + " tokens");
  };
  // Upstream loops forever when no document qualifies. Refuse once that is certain: every
  // document tokenised and none long enough. After a long run of rejections, tokenise the rest
  // to find out (a corpus with any qualifying document is then sampled exactly as upstream).
  const int64_t patience = 100 * ndocs + 1000;

  CalibSet out;
  out.input_ids = at::empty({nsamples, seqlen}, at::kLong);
  int64_t* dst = out.input_ids.data_ptr<int64_t>();
  PyRandom rng(seed);
  auto randint = [&](int64_t a, int64_t b) {
    const int64_t r = rng.randint(a, b);
    out.randint_draws.push_back({a, b, r});
    return r;
  };

  for (int64_t s = 0; s < nsamples; ++s) {
    int64_t d = 0, rejections = 0;
    const std::vector<int>* toks = nullptr;
    for (;;) {
      d = randint(0, ndocs - 1);
      toks = &tokens_of(d);
      if (static_cast<int64_t>(toks->size()) > seqlen) break;  // strictly longer than seqlen
      out.rejected_docs.push_back(d);
      if (++rejections > patience && tokenized < ndocs)
        for (int64_t i = 0; i < ndocs; ++i) tokens_of(i);
      if (tokenized == ndocs && long_enough == 0) refuse();
    }
    const int64_t len = static_cast<int64_t>(toks->size());
    const int64_t start = randint(0, len - seqlen - 1);  // the last token is never in a window
    for (int64_t t = 0; t < seqlen; ++t) dst[s * seqlen + t] = (*toks)[static_cast<size_t>(start + t)];
    out.windows.push_back({d, start, len});
  }
  return out;
}

}  // namespace prunekit
