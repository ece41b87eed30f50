// The compute device of a run (prunekit/device.h).
#include "prunekit/device.h"

#include <torch/cuda.h>

#include <atomic>

#include "prunekit/common.h"

namespace prunekit {

namespace {
std::atomic<int> generic_scopes{0};
}  // namespace

std::string ComputeDevice::name() const {
  if (device.is_cpu()) return generic_ops ? "cpu-generic" : "cpu";
  return device.str();
}

void check_device_available(const ComputeDevice& d) {
  if (d.device.is_cpu()) return;
  if (d.device.is_cuda()) {
    // Device-generic calls only (torch/cuda.h exists in LibTorch 1.13 and 2.x, CUDA build or not).
    if (!torch::cuda::is_available())
      throw InvalidSetting("device", d.name(),
                           "this LibTorch has no usable CUDA (torch::cuda::is_available() is false: a CPU-only "
                           "build, or no GPU/driver visible)");
    const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    if (d.device.has_index() && d.device.index() >= count)
      throw InvalidSetting("device", d.name(), "only " + std::to_string(count) + " CUDA device(s) visible");
    return;
  }
  throw InvalidSetting("device", d.name(), "unsupported device type (cpu|cuda)");
}

DevicePolicy::DevicePolicy(const ComputeDevice& d) : counted_(d.generic_ops) {
  if (counted_) generic_scopes.fetch_add(1);
}
DevicePolicy::~DevicePolicy() {
  if (counted_) generic_scopes.fetch_sub(1);
}
bool generic_ops_forced() { return generic_scopes.load(std::memory_order_relaxed) > 0; }

}  // namespace prunekit
