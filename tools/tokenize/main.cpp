// tokenize: text -> ids (and back) with a model's own tokenizer, exactly as the tools see it
// (tokenizer.json when the directory has one, else tokenizer.model).
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sstream>

#include "prunekit/cli.h"
#include "prunekit/corpus.h"
#include "prunekit/log.h"
#include "prunekit/tokenizer.h"

namespace {

using nlohmann::json;

// "9906, 1917" or "9906 1917" -> ids; InputError naming `flag` otherwise.
std::vector<int> parse_ids(const std::string& s, const std::string& flag) {
  std::vector<int> ids;
  std::string t = s;
  for (char& c : t)
    if (c == ',') c = ' ';
  std::istringstream in(t);
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || v < 0 || v > 0x7fffffff)
      throw prunekit::InputError(flag + ": \"" + word + "\" is not a token id");
    ids.push_back(static_cast<int>(v));
  }
  return ids;
}

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::string ids_line(const std::vector<int>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + std::to_string(ids[i]);
  return out;
}

std::string decode_checked(const prunekit::Tokenizer& tok, const std::vector<int>& ids, const std::string& where) {
  for (int id : ids)
    if (id < 0 || id >= tok.vocab_size())
      throw prunekit::InputError(where + ": token id " + std::to_string(id) + " is outside the vocabulary (" +
                                 std::to_string(tok.vocab_size()) + " ids)");
  return tok.decode(ids);
}

// Write `text` to a temporary file next to `path`, fsync it and rename it into place, so a
// failed run never leaves a truncated file that looks complete.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw prunekit::InputError("--output: cannot create " + tmp + " (" + std::strerror(errno) + ")");
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error(tmp + ": write failed (" + std::strerror(err) + ")");
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(tmp + ": fsync/close failed (" + std::strerror(err) + ")");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw prunekit::InputError("--output: cannot rename " + tmp + " to " + path + " (" + std::strerror(err) + ")");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tokenize: text -> token ids (or ids -> text with --decode) with a model's own tokenizer, as "
               "transformers' tokenizer(text) gives them",
               "tokenize"};
  std::string model, text, input, output, file;
  bool no_special = false, decode = false, version = false, count = false, timing = false;
  app.add_option("--model", model, "model directory (tokenizer.json, else tokenizer.model) or a tokenizer file");
  auto* text_opt = app.add_option("--text", text, "one text; prints its ids space-separated (with --decode: ids "
                                                  "\"1 2 3\", prints the text)");
  auto* input_opt = app.add_option("--input", input, "JSON lines {\"text\": ...} (with --decode: {\"ids\": [...]})");
  app.add_option("--output", output, "write {\"ids\": [...]} lines (with --decode: {\"text\": ...}) in input order "
                                     "(default: stdout)");
  auto* file_opt = app.add_option("--file", file, "the text of a file, read as eval-ppl reads it (plain text verbatim, "
                                                "JSON lines: the \"text\" fields joined by blank lines)");
  app.add_flag("--count", count, "print only the number of ids");
  app.add_flag("--time", timing, "print the encode time and throughput (MB/s of text) on stderr");
  app.add_flag("--no-special", no_special, "add_special_tokens=False: no BOS or other post-processor tokens");
  app.add_flag("--decode", decode, "ids -> text (special tokens skipped, as decode(skip_special_tokens=True))");
  app.add_flag("--version", version, "print the version and exit");
  text_opt->excludes(input_opt);
  file_opt->excludes(text_opt)->excludes(input_opt);
  int code = 0;
  if (!prunekit::parse_cli(app, argc, argv, &code)) return code;
  if (version) {
    std::printf("tokenize (prunekit) %s\n", PRUNEKIT_VERSION);
    return 0;
  }

  return prunekit::guarded_main("tokenize", [&] {
    if (model.empty()) throw prunekit::InputError("--model: required");
    if (text_opt->count() == 0 && input.empty() && file.empty())
      throw prunekit::InputError("--text, --file or --input: one is required");
    if (decode && !file.empty()) throw prunekit::InputError("--decode: takes --text or --input, not --file");
    if (!output.empty() && input.empty()) throw prunekit::InputError("--output: needs --input");
    if (!output.empty() && output == input) throw prunekit::InputError("--output: must not be the --input file");
    if (!output.empty()) prunekit::check_writable(output, "--output");
    prunekit::Tokenizer tok(model);

    if (text_opt->count() > 0 && decode) {
      std::printf("%s\n", decode_checked(tok, parse_ids(text, "--text"), "--text").c_str());
      return 0;
    }
    if (text_opt->count() > 0 || !file.empty()) {
      const std::string body = file.empty() ? text : prunekit::read_eval_text(file);
      prunekit::Stopwatch sw;
      const double cpu0 = thread_cpu_seconds();
      const std::vector<int> ids = tok.encode(body, !no_special);
      const double s = sw.seconds(), cpu = thread_cpu_seconds() - cpu0;
      if (count) std::printf("%zu\n", ids.size());
      else std::printf("%s\n", ids_line(ids).c_str());
      // CPU time of this thread too: on a shared machine the wall clock also counts the time the
      // core spent on other processes.
      if (timing)
        prunekit::log::info("{} bytes -> {} ids in {:.3f} s = {:.2f} MB/s (CPU {:.3f} s = {:.2f} MB/s) ({})", body.size(),
                            ids.size(), s, s > 0 ? body.size() / s / 1e6 : 0.0, cpu,
                            cpu > 0 ? body.size() / cpu / 1e6 : 0.0, tok.kind());
      return 0;
    }

    const std::string content = prunekit::read_file(input);
    std::string out;
    size_t line_no = 0, begin = 0;
    while (begin < content.size()) {
      size_t end = content.find('\n', begin);
      if (end == std::string::npos) end = content.size();
      const std::string line = content.substr(begin, end - begin);
      begin = end + 1;
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = input + ":" + std::to_string(line_no);
      json rec;
      try {
        rec = json::parse(line);
      } catch (const json::exception& e) {
        throw prunekit::InputError(where + ": not JSON (" + e.what() + ")");
      }
      if (decode) {
        if (!rec.is_object() || !rec.contains("ids") || !rec.at("ids").is_array())
          throw prunekit::InputError(where + ": no \"ids\" array");
        std::vector<int> ids;
        for (const json& v : rec.at("ids")) {
          if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 0x7fffffff)
            throw prunekit::InputError(where + ": " + v.dump() + " is not a token id");
          ids.push_back(v.get<int>());
        }
        out += json{{"text", decode_checked(tok, ids, where)}}.dump(-1, ' ', false, json::error_handler_t::replace);
      } else {
        if (!rec.is_object() || !rec.contains("text") || !rec.at("text").is_string())
          throw prunekit::InputError(where + ": no string \"text\"");
        std::vector<int> ids;
        try {
          ids = tok.encode(rec.at("text").get<std::string>(), !no_special);
        } catch (const prunekit::InputError& e) {
          throw prunekit::InputError(where + ": " + e.what());
        }
        out += json{{"ids", ids}}.dump();
      }
      out += '\n';
    }
    if (output.empty()) std::fwrite(out.data(), 1, out.size(), stdout);
    else write_atomically(output, out);
    return 0;
  });
}
