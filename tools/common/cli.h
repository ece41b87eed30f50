// The shared tools layer: flags, strict value parsing, flag-named errors and exit codes.
// Only the executables under tools/ (and the CLI tests) include this; the library never does
// and never names a flag. Exit codes: 0 ok, 1 run failed, 2 bad usage or bad input (one line
// naming the file or flag and what is wrong).
#pragma once
#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "prunekit/common.h"
#include "prunekit/device.h"

namespace prunekit {
namespace cli {

// A flag value the tools layer itself refuses; the message starts with the flag. Exit 2.
class UsageError : public InputError {
 public:
  using InputError::InputError;
};

// ---- strict parsers: the whole token must parse and lie in range, else UsageError ----------
int64_t parse_int(const std::string& flag, const std::string& text, int64_t lo, int64_t hi);
// A finite real in [lo, hi] (hi excluded when hi_open).
double parse_real(const std::string& flag, const std::string& text, double lo, double hi, bool hi_open = false);
// "N:M" with 1 <= N < M <= kMaxPatternM, digits only.
constexpr int kMaxPatternM = 65536;
std::pair<int, int> parse_nm(const std::string& flag, const std::string& text);
// "a,b,c": no empty item.
std::vector<std::string> parse_list(const std::string& flag, const std::string& text);
// "0-3,7": non-negative indices and inclusive ranges a-b with a <= b (the upper bound is checked
// by whoever knows the count).
std::vector<int> parse_index_ranges(const std::string& flag, const std::string& text);
// float32|bfloat16 (fp32, f32, bf16 also accepted).
at::ScalarType parse_compute_dtype(const std::string& flag, const std::string& text);
// "5GB", "500MB", "1GiB", "1000" (bytes), as transformers' max_shard_size; > 0.
uint64_t parse_size(const std::string& flag, const std::string& text);
// cpu|cuda|cuda:N, and cpu-generic: the CPU through the device-generic path every non-CPU device
// takes (eager attention, sort-based selection; for testing that path without an accelerator).
// Only the spelling is checked here; whether the device exists is device_from_flag's.
ComputeDevice parse_device(const std::string& flag, const std::string& text);
constexpr const char* kDeviceNames = "cpu|cuda|cuda:N|cpu-generic";

// ---- the same checks as CLI11 validators, applied while the command line is parsed ---------
// app.add_option("--seqlen", v, "...")->check(cli::Integer(2, INT32_MAX));
CLI::Validator Integer(int64_t lo, int64_t hi);
CLI::Validator Real(double lo, double hi, bool hi_open = false);
CLI::Validator Pattern();       // N:M
CLI::Validator IndexRanges();   // 0-3,7
CLI::Validator List();          // a,b,c
CLI::Validator ComputeDtype();  // float32|bfloat16
CLI::Validator Size();          // 5GB
CLI::Validator DeviceName();    // cpu|cuda|cuda:N|cpu-generic

// The flag a library setting name stands for: "owl_lambda" -> "--owl-lambda", with the few
// renames of the shared table ("out_dir" -> "--out", "model_dir" -> "--model", ...).
std::string flag_for_setting(const std::string& setting);

// Parse argv. Adds --version and --log-level trace|debug|info|warn|error|off to every tool (and
// names the log lines after the tool, prunekit/log.h); a tool's --quiet, when given without
// --log-level, is --log-level warn (no progress, no notes). --help/--version print and return
// false with *exit_code 0; a bad flag prints one line "<tool>: error: <flag>: <what>" and returns
// false with *exit_code 2. These error lines and guarded_main's are not log lines: their text is
// the tools' contract and is printed as it is, whatever the log level.
bool parse(CLI::App& app, int argc, char** argv, int* exit_code);
// Run a tool body: InvalidSetting -> "<tool>: error: --flag value: problem", exit 2; any other
// InputError -> its message, exit 2; anything else -> "<tool>: failed: ...", exit 1.
int guarded_main(const char* tool, const std::function<int()>& body);

// --device (prune, eval-ppl, eval-zeroshot, generate), default cpu; and its value as the library's
// ComputeDevice, checked to exist (a CUDA device on a LibTorch without CUDA: InvalidSetting
// "device", i.e. "--device cuda: ..." and exit 2).
void add_device_flag(CLI::App& app, std::string* device);
ComputeDevice device_from_flag(const std::string& text);

// --threads N (0: all cores). More than kThreadsPerCore x the cores is capped while parsing,
// with one line on stderr that says so.
constexpr int kThreadsPerCore = 4;
void add_threads_flag(CLI::App& app, int* threads);

}  // namespace cli

// The names the tools used before the layer moved here.
inline bool parse_cli(CLI::App& app, int argc, char** argv, int* exit_code) {
  return cli::parse(app, argc, argv, exit_code);
}
inline int guarded_main(const char* tool, const std::function<int()>& body) { return cli::guarded_main(tool, body); }
inline void add_threads_flag(CLI::App& app, int* threads) { cli::add_threads_flag(app, threads); }

}  // namespace prunekit
