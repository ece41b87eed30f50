// Where a run computes: the layer stream, calibration statistics, scoring and selection run on
// `device` with LibTorch ops; weights stream from the mmap'd checkpoint (CPU) to it one layer at a
// time, and what is written (pruned weights, masks, statistics) comes back to the CPU for the
// writer. prunekit's own CPU kernels (src/ops: fused attention, the selector's partial selection,
// dense bf16 / packed 2:4 GEMMs) run only on the CPU path; every other device takes the
// device-generic path (eager attention, sort-based selection), which `generic_ops` forces on the
// CPU too, so that it can be tested where no accelerator is.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace prunekit {

struct ComputeDevice {
  at::Device device = at::Device(at::kCPU);
  bool generic_ops = false;  // the device-generic path even on the CPU (tests)
  bool is_cpu() const { return device.is_cpu(); }
  // Whether prunekit's CPU kernels may serve this run (the CPU, not forced generic).
  bool cpu_kernels() const { return device.is_cpu() && !generic_ops; }
  // "cpu", "cuda:0", "cpu-generic": the same words the report and the logs use.
  std::string name() const;
};

// InvalidSetting("device", name, ...) when this LibTorch build or machine cannot run on `d`
// (CUDA asked for where torch::cuda::is_available() is false, or an index past the device count).
void check_device_available(const ComputeDevice& d);

// The device-generic policy of code that sees only tensors (the mask selector, attention): while a
// DevicePolicy of a generic_ops device is alive anywhere in the process, the CPU kernels are not
// used. Scopes nest and may overlap across threads (a count, not a flag).
class DevicePolicy {
 public:
  explicit DevicePolicy(const ComputeDevice& d);
  ~DevicePolicy();
  DevicePolicy(const DevicePolicy&) = delete;
  DevicePolicy& operator=(const DevicePolicy&) = delete;

 private:
  bool counted_ = false;
};
bool generic_ops_forced();
// A tensor that prunekit's CPU kernels may work on: on the CPU and no generic policy in force.
inline bool cpu_kernels_for(const at::Tensor& t) { return t.is_cpu() && !generic_ops_forced(); }

}  // namespace prunekit
