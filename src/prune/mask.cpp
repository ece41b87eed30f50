// The shared mask selector: every method's scores become a mask here, and only here.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "prunekit/common.h"
#include "prunekit/parallel.h"
#include "prunekit/prune.h"

namespace prunekit {

std::string group_name(Group g) { return g == Group::PerRow ? "per-row" : "per-matrix"; }
Group group_from_name(const std::string& s) {
  if (s == "per-row") return Group::PerRow;
  if (s == "per-matrix") return Group::PerMatrix;
  throw InputError("--group: unknown comparison group \"" + s + "\" (per-row|per-matrix)");
}

// Upstream computes the count as int(cols * s) with s a Python float: a double product, floored.
static int64_t floor_count(int64_t n, double s) { return static_cast<int64_t>(double(n) * s); }

static at::Tensor select_per_matrix(const at::Tensor& score, double s) {
  // magnitude / RIA: t = sort(score.flatten())[int(numel * s)]; prune score <= t (ties too).
  if (s <= 0.0) return at::zeros(score.sizes(), at::kBool);
  const int64_t k = floor_count(score.numel(), s);
  at::Tensor sorted = std::get<0>(at::sort(score.flatten()));
  at::Tensor thresh = sorted[std::min<int64_t>(k, score.numel() - 1)];
  return score <= thresh;
}

// Order key of a score: the float's bits mapped so that unsigned order is numeric order, -0.0 taken
// as +0.0 (they compare equal, so the lower column wins, as in a stable sort) and every NaN after
// +inf (torch.sort puts NaN last); the column in the low 32 bits breaks ties as a stable sort does.
static inline uint64_t row_key(float v, uint32_t col) {
  uint32_t bits;
  if (std::isnan(v)) {
    bits = 0xffffffffu;
  } else {
    if (v == 0.0f) v = 0.0f;
    std::memcpy(&bits, &v, sizeof bits);
    bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
  }
  return (static_cast<uint64_t>(bits) << 32) | col;
}

static at::Tensor select_per_row(const at::Tensor& score, double s) {
  // Wanda: per output row, the first int(cols * s) positions of a stable ascending sort. The same
  // set without sorting: the k smallest (score, column) pairs of each row, found by partial
  // selection (nth_element, linear time) and rows in parallel. (A full stable sort of every row was
  // the largest phase of prune on tinyllama-1.1b: 47 of 84 s.)
  const int64_t rows = score.size(0), cols = score.size(1);
  at::Tensor mask = at::zeros(score.sizes(), at::kBool);
  const int64_t k = floor_count(cols, s);
  if (k <= 0) return mask;
  if (k >= cols) return mask.fill_(true);
  if (score.scalar_type() == at::kDouble || cols > 0xffffffffLL) {  // exact keys need fp32 scores
    at::Tensor idx = std::get<1>(at::sort(score, /*stable=*/true, /*dim=*/-1, /*descending=*/false));
    mask.scatter_(1, idx.narrow(1, 0, k), true);
    return mask;
  }
  const at::Tensor sc = score.to(at::kCPU).to(at::kFloat).contiguous();  // exact from bf16/f16/f32
  const float* sp = sc.data_ptr<float>();
  bool* mp = mask.data_ptr<bool>();
  ops::parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    std::vector<uint64_t> keys(static_cast<size_t>(cols));
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = sp + r * cols;
      for (int64_t c = 0; c < cols; ++c) keys[c] = row_key(row[c], static_cast<uint32_t>(c));
      std::nth_element(keys.begin(), keys.begin() + (k - 1), keys.end());
      bool* mrow = mp + r * cols;
      for (int64_t j = 0; j < k; ++j) mrow[keys[j] & 0xffffffffu] = true;
    }
  });
  return mask;
}

static at::Tensor select_nm(const at::Tensor& score, int n, int m) {
  // N smallest of each group of M consecutive input columns via topk(largest=False), as
  // upstream; a short last group still loses its N smallest (all of it if it has <= N).
  at::Tensor mask = at::zeros(score.sizes(), at::kBool);
  const int64_t cols = score.size(1);
  for (int64_t c0 = 0; c0 < cols; c0 += m) {
    const int64_t width = std::min<int64_t>(m, cols - c0);
    if (width <= n) {
      mask.narrow(1, c0, width).fill_(true);
      continue;
    }
    at::Tensor group = score.narrow(1, c0, width).to(at::kFloat);
    at::Tensor idx = std::get<1>(at::topk(group, n, /*dim=*/1, /*largest=*/false));
    mask.scatter_(1, idx + c0, true);
  }
  return mask;
}

at::Tensor select_prune_mask(const at::Tensor& score, const SparsitySpec& spec) {
  TORCH_CHECK(score.dim() == 2, "score must be 2-D");
  if (spec.is_nm()) return select_nm(score, spec.n, spec.m);
  return spec.group == Group::PerRow ? select_per_row(score, spec.sparsity)
                                     : select_per_matrix(score, spec.sparsity);
}

at::Tensor ria_channel_permutation(const at::Tensor& score, int m) {
  // RIA reallocation: sort columns by their score sum (ascending), cut the sorted list into M
  // chunks [int(cols*k/M), int(cols*(k+1)/M)), and deal chunk k to position k of every group,
  // odd chunks reversed (CONVENTIONS.md section 3).
  const int64_t cols = score.size(1);
  at::Tensor order = std::get<1>(at::sort(score.sum(0)));
  std::vector<int64_t> sorted(order.data_ptr<int64_t>(), order.data_ptr<int64_t>() + cols);
  std::vector<int64_t> index(cols, -1);
  for (int k = 0; k < m; ++k) {
    const int64_t a = static_cast<int64_t>(double(cols) * k / m);
    const int64_t b = static_cast<int64_t>(double(cols) * (k + 1) / m);
    std::vector<int64_t> chunk(sorted.begin() + a, sorted.begin() + b);
    if (k % 2 == 1) std::reverse(chunk.begin(), chunk.end());
    for (size_t j = 0; j < chunk.size(); ++j) index.at(k + j * m) = chunk[j];
  }
  return at::tensor(index, at::kLong);
}

// Hungarian algorithm (shortest augmenting paths, O(n^3)): assignment[row] = column minimising
// the total cost of a square matrix.
static std::vector<int64_t> min_cost_assignment(const std::vector<double>& cost, int64_t n) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(n + 1, 0);
  std::vector<int64_t> p(n + 1, 0), way(n + 1, 0);
  for (int64_t i = 1; i <= n; ++i) {
    p[0] = i;
    int64_t j0 = 0;
    std::vector<double> minv(n + 1, inf);
    std::vector<char> used(n + 1, 0);
    do {
      used[j0] = 1;
      const int64_t i0 = p[j0];
      double delta = inf;
      int64_t j1 = 0;
      for (int64_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int64_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int64_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  std::vector<int64_t> assignment(n);
  for (int64_t j = 1; j <= n; ++j) assignment[p[j] - 1] = j - 1;
  return assignment;
}

at::Tensor refine_permutation_lsa(const at::Tensor& score, const at::Tensor& index, int n, int m) {
  // For each position k of the groups in turn, re-deal the channels sitting at position k over the
  // blocks by a linear sum assignment that maximises the score kept by N:M. With the other M-1
  // channels of block b fixed, candidate value x in a row keeps top_{M-N-1}(others) +
  // max(x, (M-N)-th largest of others): the gain matrix needs one pass per block.
  const int64_t cols = score.size(1);
  if (cols % m != 0 || m - n < 1) return index;
  const int64_t blocks = cols / m;
  std::vector<int64_t> idx(index.data_ptr<int64_t>(), index.data_ptr<int64_t>() + cols);
  at::Tensor s = score.to(at::kDouble);
  for (int k = 0; k < m; ++k) {
    std::vector<int64_t> cand(blocks);
    for (int64_t b = 0; b < blocks; ++b) cand[b] = idx[b * m + k];
    at::Tensor cand_scores = s.index_select(1, at::tensor(cand, at::kLong));  // [rows, B]
    std::vector<double> cost(blocks * blocks);
    for (int64_t b = 0; b < blocks; ++b) {
      std::vector<int64_t> others;
      for (int j = 0; j < m; ++j)
        if (j != k) others.push_back(idx[b * m + j]);
      at::Tensor o = std::get<0>(at::sort(s.index_select(1, at::tensor(others, at::kLong)), -1, /*descending=*/true));
      const int keep = m - n;
      at::Tensor base = keep > 1 ? o.narrow(1, 0, keep - 1).sum(1, true) : at::zeros({o.size(0), 1}, o.options());
      at::Tensor pivot = o.narrow(1, keep - 1, 1);
      at::Tensor gain = (base + at::maximum(cand_scores, pivot)).sum(0);  // [B]
      const double* g = gain.data_ptr<double>();
      for (int64_t i = 0; i < blocks; ++i) cost[b * blocks + i] = -g[i];
    }
    const std::vector<int64_t> assign = min_cost_assignment(cost, blocks);
    for (int64_t b = 0; b < blocks; ++b) idx[b * m + k] = cand[assign[b]];
  }
  return at::tensor(idx, at::kLong);
}

double nm_compliance(const at::Tensor& keep, int n, int m) {
  const int64_t rows = keep.size(0), cols = keep.size(1);
  const int64_t full = cols / m;
  if (full == 0) return 0.0;
  at::Tensor kept = (keep.narrow(1, 0, full * m) != 0).view({rows, full, m}).sum(-1);
  return (kept <= (m - n)).to(at::kDouble).mean().item<double>();
}

ModuleSelection ModuleSelection::parse(const std::string& modules, const std::string& layers,
                                       int num_layers) {
  ModuleSelection sel;
  if (!modules.empty() && modules != "all") {
    sel.linear.fill(false);
    std::stringstream ss(modules);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item == "attn") {
        for (int i = kQ; i <= kO; ++i) sel.linear[i] = true;
      } else if (item == "mlp") {
        for (int i = kGate; i <= kDown; ++i) sel.linear[i] = true;
      } else {
        bool found = false;
        for (int i = 0; i < kNumLinears; ++i)
          if (item == linear_short_name(i)) sel.linear[i] = found = true;
        if (!found)
          throw InputError("--modules: unknown module \"" + item +
                           "\" (all|attn|mlp|q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj)");
      }
    }
  }
  if (!layers.empty()) {
    std::stringstream ss(layers);
    std::string item;
    while (std::getline(ss, item, ',')) {
      int a = 0, b = 0;
      char dash = 0;
      std::stringstream is(item);
      if (!(is >> a)) throw InputError("--layers: cannot parse \"" + item + "\" (e.g. 0-3,7)");
      b = a;
      if (is >> dash) {
        if (dash != '-' || !(is >> b)) throw InputError("--layers: cannot parse \"" + item + "\"");
      }
      if (a < 0 || b >= num_layers || a > b)
        throw InputError("--layers: \"" + item + "\" outside 0-" + std::to_string(num_layers - 1));
      for (int i = a; i <= b; ++i) sel.layers.insert(i);
    }
  }
  return sel;
}

}  // namespace prunekit
