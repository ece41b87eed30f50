// The shared tools layer (see cli.h): every flag value is parsed here, strictly.
#include "common/cli.h"

#include <cerrno>
#include <climits>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <thread>

#include "prunekit/log.h"

namespace prunekit {
namespace cli {

namespace {

std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

// Decimal integer, optional sign, nothing else (no spaces, no hex, no exponent). False on overflow.
bool to_int64(const std::string& text, int64_t* out) {
  const bool neg = !text.empty() && (text[0] == '-' || text[0] == '+');
  if (!all_digits(neg ? text.substr(1) : text)) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end != text.c_str() + text.size()) return false;
  *out = v;
  return true;
}

std::string describe_range(int64_t lo, int64_t hi) {
  if (hi == INT64_MAX) return ">= " + std::to_string(lo);
  return "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Run a parser as a CLI11 validator: its UsageError (which starts with the flag) becomes the
// validator's message without the flag, since CLI11 prefixes the option name itself.
CLI::Validator validator(const std::string& desc, std::function<void(const std::string&)> check) {
  return CLI::Validator(
      [check](std::string& value) -> std::string {
        try {
          check(value);
        } catch (const UsageError& e) {
          const std::string msg = e.what();
          const size_t colon = msg.find(": ");
          return colon == std::string::npos ? msg : msg.substr(colon + 2);
        }
        return {};
      },
      desc);
}

}  // namespace

int64_t parse_int(const std::string& flag, const std::string& text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!to_int64(text, &v))
    throw UsageError(flag + ": expected an integer " + describe_range(lo, hi) + " (got " + in_quotes(text) + ")");
  if (v < lo || v > hi) throw UsageError(flag + ": " + text + " is out of range: must be " + describe_range(lo, hi));
  return v;
}

double parse_real(const std::string& flag, const std::string& text, double lo, double hi, bool hi_open) {
  const std::string range = "in [" + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]");
  bool ok = !text.empty() && text.find_first_of(" \t\n") == std::string::npos;
  double v = 0;
  if (ok) {
    char* end = nullptr;
    errno = 0;
    v = std::strtod(text.c_str(), &end);
    ok = end == text.c_str() + text.size() && errno != ERANGE && std::isfinite(v);
  }
  if (!ok) throw UsageError(flag + ": expected a number " + range + " (got " + in_quotes(text) + ")");
  if (v < lo || v > hi || (hi_open && v == hi))
    throw UsageError(flag + ": " + text + " is out of range: must be " + range);
  return v;
}

std::pair<int, int> parse_nm(const std::string& flag, const std::string& text) {
  const size_t colon = text.find(':');
  const std::string n_text = colon == std::string::npos ? text : text.substr(0, colon);
  const std::string m_text = colon == std::string::npos ? "" : text.substr(colon + 1);
  int64_t n = 0, m = 0;
  if (!all_digits(n_text) || !all_digits(m_text) || !to_int64(n_text, &n) || !to_int64(m_text, &m))
    throw UsageError(flag + ": expected N:M, e.g. 2:4 (got " + in_quotes(text) + ")");
  if (m < 2 || m > kMaxPatternM || n < 1 || n >= m)
    throw UsageError(flag + ": " + text + " needs 1 <= N < M <= " + std::to_string(kMaxPatternM));
  return {static_cast<int>(n), static_cast<int>(m)};
}

std::vector<std::string> parse_list(const std::string& flag, const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw UsageError(flag + ": empty item in the list " + in_quotes(text));
    items.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

std::vector<int> parse_index_ranges(const std::string& flag, const std::string& text) {
  std::vector<int> out;
  for (const std::string& item : parse_list(flag, text)) {
    const size_t dash = item.find('-');
    const std::string a_text = item.substr(0, dash);
    const std::string b_text = dash == std::string::npos ? a_text : item.substr(dash + 1);
    int64_t a = 0, b = 0;
    if (!all_digits(a_text) || !all_digits(b_text) || !to_int64(a_text, &a) || !to_int64(b_text, &b) ||
        a > INT_MAX || b > INT_MAX)
      throw UsageError(flag + ": cannot parse " + in_quotes(item) + " (expected indices and ranges, e.g. 0-3,7)");
    if (a > b) throw UsageError(flag + ": range " + in_quotes(item) + " runs backwards");
    for (int64_t i = a; i <= b; ++i) out.push_back(static_cast<int>(i));
  }
  return out;
}

at::ScalarType parse_compute_dtype(const std::string& flag, const std::string& text) {
  if (text == "float32" || text == "fp32" || text == "f32") return at::kFloat;
  if (text == "bfloat16" || text == "bf16") return at::kBFloat16;
  throw UsageError(flag + ": unknown compute dtype " + in_quotes(text) + " (float32|bfloat16)");
}

uint64_t parse_size(const std::string& flag, const std::string& text) {
  // As transformers' max_shard_size: decimal units (GB = 10^9), binary ones with "i" (GiB);
  // fractions only with a unit (1.5GB), bytes are whole.
  auto bad = [&]() {
    return UsageError(flag + ": cannot parse " + in_quotes(text) +
                      " (expected a byte count or a size such as 5GB, 500MB, 2GiB)");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) throw bad();
  std::string unit = text.substr(i);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::map<std::string, double> units = {
      {"", 1.0},    {"B", 1.0},      {"KB", 1e3},        {"MB", 1e6},           {"GB", 1e9},
      {"TB", 1e12}, {"KIB", 1024.0}, {"MIB", 1048576.0}, {"GIB", 1073741824.0}, {"TIB", 1099511627776.0}};
  const auto u = units.find(unit);
  if (u == units.end()) throw bad();
  const std::string number = text.substr(0, i);
  if (unit.empty() && number.find('.') != std::string::npos) throw bad();
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !(v > 0) || v * u->second >= 9e18) throw bad();
  const uint64_t bytes = static_cast<uint64_t>(std::llround(v * u->second));
  if (bytes == 0) throw bad();
  return bytes;
}

ComputeDevice parse_device(const std::string& flag, const std::string& text) {
  ComputeDevice d;
  if (text == "cpu") return d;
  if (text == "cpu-generic") {
    d.generic_ops = true;
    return d;
  }
  if (text == "cuda") {
    d.device = at::Device(at::kCUDA);
    return d;
  }
  int64_t index = 0;
  if (text.rfind("cuda:", 0) == 0 && all_digits(text.substr(5)) && to_int64(text.substr(5), &index) && index <= 255) {
    d.device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
    return d;
  }
  throw UsageError(flag + ": unknown device " + in_quotes(text) + " (" + kDeviceNames + ")");
}

CLI::Validator Integer(int64_t lo, int64_t hi) {
  return validator("INT " + describe_range(lo, hi), [lo, hi](const std::string& v) { parse_int("", v, lo, hi); });
}
CLI::Validator Real(double lo, double hi, bool hi_open) {
  const std::string desc = "NUMBER in [" + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]");
  return validator(desc, [=](const std::string& v) { parse_real("", v, lo, hi, hi_open); });
}
CLI::Validator Pattern() {
  return validator("N:M", [](const std::string& v) { parse_nm("", v); });
}
CLI::Validator IndexRanges() {
  return validator("RANGES", [](const std::string& v) { parse_index_ranges("", v); });
}
CLI::Validator List() {
  return validator("LIST", [](const std::string& v) { parse_list("", v); });
}
CLI::Validator ComputeDtype() {
  return validator("", [](const std::string& v) { parse_compute_dtype("", v); });
}
CLI::Validator DeviceName() {
  return validator(kDeviceNames, [](const std::string& v) { parse_device("", v); });
}
CLI::Validator Size() {
  return validator("SIZE", [](const std::string& v) { parse_size("", v); });
}

std::string flag_for_setting(const std::string& setting) {
  static const std::map<std::string, std::string> renamed = {
      {"out_dir", "--out"},     {"model_dir", "--model"}, {"calib_path", "--calib"},
      {"json_path", "--json"},  {"dataset_path", "--dataset"}, {"max_shard_bytes", "--max-shard-size"},
      {"max_new_tokens", "--max-new-tokens"}};
  if (setting.rfind("--", 0) == 0) return setting;  // already a flag
  const auto it = renamed.find(setting);
  if (it != renamed.end()) return it->second;
  std::string flag = "--" + setting;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

void add_log_level_flag(CLI::App& app) {
  app.add_option_function<std::string>(
         "--log-level", [](const std::string& v) { log::set_level(log::level_from_name(v)); },
         "what is logged on stderr (default info; debug: also prune's per-phase timings; a tool's --quiet is warn)")
      ->check(validator(log::kLevelNames, [](const std::string& v) {
        try {
          log::level_from_name(v);
        } catch (const InputError& e) {
          throw UsageError(std::string("--log-level: ") + e.what());
        }
      }));
}

bool parse(CLI::App& app, int argc, char** argv, int* exit_code) {
  log::set_program(app.get_name());
  if (!app.get_option_no_throw("--version"))
    app.set_version_flag("--version", app.get_name() + " (prunekit " PRUNEKIT_VERSION ")");
  if (!app.get_option_no_throw("--log-level")) add_log_level_flag(app);
  // A subcommand's line may carry the tool's own flags too (bench-sparse gemm --log-level debug).
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) sub->fallthrough();
  // Applied before the parse too, so that what the parse itself logs (--threads capped) obeys it.
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--log-level") try {
        log::set_level(log::level_from_name(argv[i + 1]));
      } catch (const InputError&) {
      }
  try {
    app.parse(argc, argv);
    // --quiet (prune, eval-ppl, eval-zeroshot): no progress and no notes, unless --log-level says.
    const CLI::Option* quiet = app.get_option_no_throw("--quiet");
    if (quiet && quiet->count() > 0 && app.get_option("--log-level")->count() == 0) log::set_level(log::Level::Warn);
    return true;
  } catch (const CLI::CallForHelp& e) {
    *exit_code = app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    *exit_code = app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    *exit_code = app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s\n", app.get_name().c_str(), e.what());
    *exit_code = 2;
  }
  return false;
}

int guarded_main(const char* tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InvalidSetting& e) {
    // "--flag VALUE: problem"; a setting without a value (a switch) is named alone.
    std::string value = e.value();
    if (value.find_first_of(" \t\"") != std::string::npos) value = in_quotes(value);
    std::fprintf(stderr, "%s: error: %s%s: %s\n", tool, flag_for_setting(e.setting()).c_str(),
                 value.empty() ? "" : (" " + value).c_str(), e.problem().c_str());
    return 2;
  } catch (const InputError& e) {
    std::fprintf(stderr, "%s: error: %s\n", tool, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: failed: %s\n", tool, e.what());
    return 1;
  }
}

void add_device_flag(CLI::App& app, std::string* device) {
  app.add_option("--device", *device,
                 "where the layers, statistics, scores and masks are computed: cpu, cuda, cuda:N (weights stream "
                 "there a layer at a time; results come back to the CPU), or cpu-generic (the CPU through the "
                 "LibTorch-only path a GPU takes, without prunekit's CPU kernels: for testing)")
      ->capture_default_str()
      ->check(DeviceName());
}

ComputeDevice device_from_flag(const std::string& text) {
  const ComputeDevice d = parse_device("--device", text);
  check_device_available(d);
  return d;
}

void add_threads_flag(CLI::App& app, int* threads) {
  // The cap is applied while parsing: more threads than a few per core only add contention,
  // and thousands exhaust the address space (each has a stack) and deadlock LibTorch's pool.
  auto cap = [](std::string& value) -> std::string {
    int64_t n = 0;
    try {
      n = parse_int("", value, 0, INT_MAX);
    } catch (const UsageError& e) {
      const std::string msg = e.what();
      return msg.substr(msg.find(": ") + 2);
    }
    const int cores = std::max(1u, std::thread::hardware_concurrency());
    const int64_t most = int64_t(kThreadsPerCore) * cores;
    if (n > most) {
      log::warn("--threads {} capped at {} ({} x the {} cores)", n, most, kThreadsPerCore, cores);
      value = std::to_string(most);
    }
    return {};
  };
  app.add_option("--threads", *threads,
                 "intra-op threads (default 0: all cores; at most " + std::to_string(kThreadsPerCore) +
                     " per core)")
      ->transform(CLI::Validator(cap, "INT >= 0"));  // transform: check() would discard the capped value
}

}  // namespace cli
}  // namespace prunekit
