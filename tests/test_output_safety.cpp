// What prunekit writes: never inside/around the input, never replacing anything but its own
// previous output, atomic commits under a lock, checked writes (disk full = exit 1, nothing
// complete-looking left), interrupted runs cleaned up, the complete HF output directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "prunekit/checkpoint.h"
#include "prunekit/common.h"
#include "prunekit/safetensors.h"

namespace fs = std::filesystem;
using nlohmann::json;
using prunekit::CheckpointWriter;
using prunekit::DType;
using prunekit::OutputPolicy;
using prunekit_test::bin;
using prunekit_test::path_exists;
using prunekit_test::run_cmd;

namespace {

void spit(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}
std::string slurp(const std::string& path) { return prunekit::read_file(path); }

// Every regular file under `dir` (symlinks followed) -> sha256, keyed by relative path.
std::map<std::string, std::string> hash_tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it)
    if (fs::is_regular_file(it->path()))
      out[it->path().lexically_relative(dir).string()] = prunekit::sha256_file_hex(it->path().string());
  return out;
}

// Names in `dir` that start with `prefix`.
std::vector<std::string> entries_with(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.compare(0, prefix.size(), prefix) == 0) out.push_back(n);
  }
  return out;
}

const std::vector<prunekit::WritePlanEntry> kPlan = {{"a", DType::F32, {2, 3}}, {"b", DType::BF16, {4}}};

void write_tiny(CheckpointWriter& w, bool marker) {
  w.add("a", at::ones({2, 3}));
  w.add("b", at::ones({4}));
  if (marker) w.write_text(prunekit::kReportFile, R"({"prunekit_version": "test"})");
}

template <class F>
std::string input_error_of(F f) {
  try {
    f();
  } catch (const prunekit::InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG TYPE: ") + e.what();
  }
  return "NO ERROR";
}

// A private copy of stories260K (the input of CLI tests must be ours to hash and to nest in).
std::string copy_model(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from))
    if (fs::is_regular_file(e.path())) fs::copy_file(e.path(), to + "/" + e.path().filename().string());
  return to;
}

// Runs, in bash with job control (a background job of a script otherwise starts with SIGINT
// ignored): `cmd` in the background, paused at `point` by the test hook (resumed once the file
// <dir>/go exists), then, once it is there, `then` ($pid is the paused run); prints "rc=<exit code>"
// of the run and its stderr. Output of the whole script is returned.
prunekit_test::CmdResult run_paused(const std::string& dir, const std::string& point, const std::string& cmd,
                                    const std::string& then) {
  spit(dir + "/paused.sh", "set -m\nPRUNEKIT_DEBUG_PAUSE=" + point + " PRUNEKIT_DEBUG_RESUME=" + dir + "/go " + cmd +
                               " 2>" + dir + "/err &\npid=$!\nfor i in $(seq 3000); do grep -q prunekit-debug-pause " +
                               dir + "/err && break; sleep 0.1; done\n" + then + "\nwait $pid\necho rc=$?\ncat " + dir +
                               "/err\nrm -f " + dir + "/go\n");
  return run_cmd("bash " + dir + "/paused.sh");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Defect 1: an --out equal to, containing or inside the input is refused (symlinks resolved);
// only a previous prunekit output (its marker) is ever replaced, and only with overwrite.

TEST(OutputSafety, OutputRelatedToTheInputIsRefused) {
  const std::string tmp = prunekit_test::temp_dir("out-input");
  const std::string model = tmp + "/P/model";
  spit(model + "/config.json", "{}");
  fs::create_directory_symlink(tmp + "/P", tmp + "/link-to-P");
  OutputPolicy pol{model, /*overwrite=*/true};
  for (const std::string& out : {model, model + "/", tmp + "/P", tmp, model + "/sub", model + "/sub/deeper",
                                 tmp + "/link-to-P", tmp + "/link-to-P/model", tmp + "/P/model/../model"}) {
    const std::string msg = input_error_of([&] { prunekit::check_output_dir(out, pol); });
    EXPECT_NE(msg.find("input model directory"), std::string::npos) << out << ": " << msg;
  }
  // A sibling is fine.
  EXPECT_EQ(input_error_of([&] { prunekit::check_output_dir(tmp + "/P/pruned", pol); }), "NO ERROR");
  EXPECT_EQ(slurp(model + "/config.json"), "{}");
  fs::remove_all(tmp);
}

TEST(OutputSafety, OnlyAPreviousPrunekitOutputIsReplaced) {
  const std::string tmp = prunekit_test::temp_dir("out-marker");
  spit(tmp + "/user/notes.txt", "mine");
  spit(tmp + "/fake/prunekit/prune_report.json", "{\"truncated");  // no valid marker
  fs::create_directories(tmp + "/empty");
  OutputPolicy over{"", true}, keep{"", false};
  // Not ours: refused even with overwrite, and the message says why.
  std::string msg = input_error_of([&] { prunekit::check_output_dir(tmp + "/user", over); });
  EXPECT_NE(msg.find("not a prunekit output"), std::string::npos) << msg;
  EXPECT_NE(msg.find("even with --overwrite"), std::string::npos) << msg;
  EXPECT_NE(input_error_of([&] { prunekit::check_output_dir(tmp + "/fake", over); }), "NO ERROR");
  EXPECT_NE(input_error_of([&] { CheckpointWriter w(tmp + "/user", kPlan, 1000, {}, over); }), "NO ERROR");
  EXPECT_EQ(slurp(tmp + "/user/notes.txt"), "mine");
  // An empty directory holds nothing: it is used.
  {
    CheckpointWriter w(tmp + "/empty", kPlan, 1000, {}, keep);
    write_tiny(w, true);
    w.finish();
  }
  EXPECT_TRUE(prunekit::is_prunekit_output(tmp + "/empty"));
  // Ours: needs overwrite.
  msg = input_error_of([&] { prunekit::check_output_dir(tmp + "/empty", keep); });
  EXPECT_NE(msg.find("--overwrite"), std::string::npos) << msg;
  {
    CheckpointWriter w(tmp + "/empty", kPlan, 1000, {}, over);
    write_tiny(w, true);
    w.write_text("new.txt", "new");
    w.finish();
  }
  EXPECT_EQ(slurp(tmp + "/empty/new.txt"), "new");
  // Nothing beside the outputs: no temporary, no set-aside previous output, no lock file.
  EXPECT_EQ(entries_with(tmp, "empty.").size(), 0u);
  // A legacy output (report at the root, as before it moved under prunekit/) is recognised too.
  spit(tmp + "/legacy/prune_report.json", R"({"prunekit_version": "0.1"})");
  EXPECT_TRUE(prunekit::is_prunekit_output(tmp + "/legacy"));
  fs::remove_all(tmp);
}

// Defect 14: a dangling-symlink --out is refused up front; a symlink to a directory is written
// through (its target is the output, the link stays).
TEST(OutputSafety, DanglingSymlinkOutIsRefusedUpFront) {
  const std::string tmp = prunekit_test::temp_dir("out-link");
  fs::create_symlink(tmp + "/nowhere", tmp + "/dangling");
  const std::string msg = input_error_of([&] { CheckpointWriter w(tmp + "/dangling", kPlan); });
  EXPECT_NE(msg.find("dangling symbolic link"), std::string::npos) << msg;
  EXPECT_FALSE(path_exists(tmp + "/nowhere"));
  fs::create_directories(tmp + "/real");
  fs::create_directory_symlink(tmp + "/real", tmp + "/link");
  {
    CheckpointWriter w(tmp + "/link", kPlan);
    write_tiny(w, false);
    w.finish();
  }
  EXPECT_TRUE(fs::is_symlink(tmp + "/link"));
  EXPECT_TRUE(path_exists(tmp + "/real/model.safetensors"));
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------------------------
// Defect 2: the commit never deletes what appeared at --out during the run; a lock keeps a second
// run off the same --out.

TEST(OutputSafety, CommitNeverReplacesADirectoryCreatedDuringTheRun) {
  const std::string tmp = prunekit_test::temp_dir("out-race");
  const std::string out = tmp + "/out";
  {
    CheckpointWriter w(out, kPlan, 1000, {}, OutputPolicy{"", /*overwrite=*/true});
    write_tiny(w, true);
    spit(out + "/precious.txt", "user data");  // appears while the run goes on
    const std::string msg = input_error_of([&] { w.finish(); });
    EXPECT_NE(msg.find("not a prunekit output"), std::string::npos) << msg;
  }
  EXPECT_EQ(slurp(out + "/precious.txt"), "user data");
  EXPECT_EQ(entries_with(tmp, "out.").size(), 0u);  // temporary and lock removed
  // A file at --out appeared during the run: left alone as well.
  fs::remove_all(out);
  {
    CheckpointWriter w(out, kPlan);
    write_tiny(w, true);
    spit(out, "a file");
    EXPECT_NE(input_error_of([&] { w.finish(); }), "NO ERROR");
  }
  EXPECT_EQ(slurp(out), "a file");
  // A previous output that appeared, without overwrite: kept; with overwrite: swapped atomically.
  fs::remove(out);
  {
    CheckpointWriter w(out, kPlan);
    write_tiny(w, true);
    spit(out + "/prunekit/prune_report.json", R"({"prunekit_version": "other run"})");
    EXPECT_NE(input_error_of([&] { w.finish(); }), "NO ERROR");
  }
  EXPECT_EQ(json::parse(slurp(out + "/prunekit/prune_report.json"))["prunekit_version"], "other run");
  {
    CheckpointWriter w(out, kPlan, 1000, {}, OutputPolicy{"", true});
    write_tiny(w, true);
    w.finish();
  }
  EXPECT_EQ(json::parse(slurp(out + "/prunekit/prune_report.json"))["prunekit_version"], "test");
  EXPECT_EQ(entries_with(tmp, "out.").size(), 0u);
  fs::remove_all(tmp);
}

TEST(OutputSafety, ASecondWriterToTheSameOutIsRefusedWhileTheFirstRuns) {
  const std::string tmp = prunekit_test::temp_dir("out-lock");
  const std::string out = tmp + "/out";
  {
    CheckpointWriter first(out, kPlan);
    EXPECT_TRUE(path_exists(out + ".prunekit-lock"));
    const std::string msg = input_error_of([&] { CheckpointWriter second(out, kPlan, 1000, {}, OutputPolicy{"", true}); });
    EXPECT_NE(msg.find("another prunekit run (pid " + std::to_string(::getpid())), std::string::npos) << msg;
    write_tiny(first, true);
    first.finish();
  }
  EXPECT_FALSE(path_exists(out + ".prunekit-lock"));
  {  // once the first is done, the next one may replace its output
    CheckpointWriter next(out, kPlan, 1000, {}, OutputPolicy{"", true});
    write_tiny(next, true);
    next.finish();
  }
  fs::remove_all(tmp);
}

TEST(OutputSafety, CLIConcurrentRunsToOneOutOneWinsTheOtherExits2) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  const std::string tmp = prunekit_test::temp_dir("out-cli-lock"), out = tmp + "/out";
  const std::string prune = bin("prune") + " --model " + model + " --method magnitude --sparsity 0.5 --quiet --out " + out;
  // The first run pauses mid layer loop (test hook) while the second one starts.
  auto r = run_paused(tmp, "layers", prune, prune + " --overwrite 2>&1; echo second=$?; touch " + tmp + "/go");
  EXPECT_NE(r.output.find("another prunekit run"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("second=2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rc=0"), std::string::npos) << r.output;
  EXPECT_TRUE(prunekit::is_prunekit_output(out));
  EXPECT_EQ(entries_with(tmp, "out.").size(), 0u);
  fs::remove_all(tmp);
}

TEST(OutputSafety, CLIInputIsNeverDeleted) {
  PRUNEKIT_FIXTURE(shared_model, "models/stories260K");
  const std::string tmp = prunekit_test::temp_dir("out-cli-input");
  const std::string model = copy_model(shared_model, tmp + "/P/stories260K");
  const auto before = hash_tree(tmp + "/P");
  fs::create_directory_symlink(tmp + "/P", tmp + "/alias");
  const std::string prune = bin("prune") + " --method magnitude --sparsity 0.5 --quiet --overwrite";
  for (const std::string& args :
       {" --model " + model + " --out " + tmp + "/P", " --model " + model + " --out " + model,
        " --model " + model + " --out " + model + "/sub", " --model " + model + " --out " + tmp + "/alias",
        " --model " + tmp + "/alias/stories260K --out " + tmp}) {
    auto r = run_cmd(prune + args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("input model directory"), std::string::npos) << r.output;
    EXPECT_EQ(hash_tree(tmp + "/P"), before) << args;
  }
  // A user's directory is not replaced even with --overwrite.
  spit(tmp + "/mine/thesis.tex", "x");
  auto r = run_cmd(prune + " --model " + model + " --out " + tmp + "/mine");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("not a prunekit output"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(tmp + "/mine/thesis.tex"), "x");
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------------------------
// Defect 15: temporaries are named for what they are; those of dead runs are removed by the next.

TEST(OutputSafety, StaleTemporariesOfDeadRunsAreRemoved) {
  const std::string tmp = prunekit_test::temp_dir("out-stale");
  const std::string out = tmp + "/out";
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);  // its pid now names no process (unless reused: then it is kept)
  const std::string dead = out + ".prunekit-tmp-" + std::to_string(child) + "-abc123";
  const std::string mine = out + ".prunekit-tmp-" + std::to_string(::getpid()) + "-xyz789";
  spit(dead + "/model.safetensors", "partial");
  spit(mine + "/model.safetensors", "in progress");
  spit(tmp + "/out.notours/file", "keep");
  {
    CheckpointWriter w(out, kPlan);
    EXPECT_EQ(fs::path(w.tmp_dir()).filename().string().rfind("out.prunekit-tmp-" + std::to_string(::getpid()) + "-", 0), 0u)
        << w.tmp_dir();
    if (::kill(child, 0) != 0) EXPECT_FALSE(path_exists(dead));
    EXPECT_TRUE(path_exists(mine));  // a live process's
    write_tiny(w, false);
    w.finish();
  }
  EXPECT_TRUE(path_exists(tmp + "/out.notours/file"));
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------------------------
// Defect 4: every write checked; a full disk is an IoError (exit 1), not bad input; no partial file.

TEST(OutputSafety, AtomicWriterChecksEveryByte) {
  const std::string tmp = prunekit_test::temp_dir("out-atomic");
  prunekit::write_file_atomic(tmp + "/a.json", "first\n");
  prunekit::write_file_atomic(tmp + "/a.json", "second\n");
  EXPECT_EQ(slurp(tmp + "/a.json"), "second\n");
  struct stat st;
  ASSERT_EQ(::stat((tmp + "/a.json").c_str(), &st), 0);
  EXPECT_NE(st.st_mode & 0044, 0u);  // readable like any file (mkstemp makes 0600)
  // Through a symlink: the target is replaced, the link stays.
  fs::create_symlink(tmp + "/a.json", tmp + "/link.json");
  prunekit::write_file_atomic(tmp + "/link.json", "third\n");
  EXPECT_TRUE(fs::is_symlink(tmp + "/link.json"));
  EXPECT_EQ(slurp(tmp + "/a.json"), "third\n");
  // ENOSPC: IoError naming the file.
  try {
    prunekit::write_file_atomic("/dev/full", "x");
    ADD_FAILURE() << "no error";
  } catch (const prunekit::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/full"), std::string::npos) << e.what();
  }
  // A missing directory is the user's to fix: InputError; no temporary left anywhere.
  EXPECT_THROW(prunekit::write_file_atomic(tmp + "/no/such/x.json", "x"), prunekit::InputError);
  EXPECT_THROW(prunekit::check_writable(tmp + "/no/such/x.json", "--json"), prunekit::InputError);
  EXPECT_THROW(prunekit::check_writable(tmp, "--json"), prunekit::InputError);  // a directory
  fs::create_symlink(tmp + "/gone/x", tmp + "/dangling.json");
  EXPECT_THROW(prunekit::check_writable(tmp + "/dangling.json", "--json"), prunekit::InputError);
  EXPECT_EQ(entries_with(tmp, ".a.json").size(), 0u);
  fs::remove_all(tmp);
}

TEST(OutputSafety, Sha256KnownVectors) {
  EXPECT_EQ(prunekit::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(prunekit::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(prunekit::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(prunekit::sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  const std::string tmp = prunekit_test::temp_dir("sha");
  std::string data;
  for (uint64_t i = 0; i < 300000; ++i) data += static_cast<char>(i * 7919 % 251);
  spit(tmp + "/f", data);
  EXPECT_EQ(prunekit::sha256_file_hex(tmp + "/f"), prunekit::sha256_hex(data));
  auto r = run_cmd("sha256sum " + tmp + "/f");  // coreutils as an independent oracle
  if (r.code == 0) EXPECT_EQ(r.output.substr(0, 64), prunekit::sha256_hex(data));
  fs::remove_all(tmp);
}

TEST(OutputSafety, CLIJsonToAFullDiskIsExit1AndUnwritableJsonIsRefusedUpFront) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  PRUNEKIT_FIXTURE(wiki, "data/wikitext2-test.txt");
  const std::string tmp = prunekit_test::temp_dir("out-full");
  struct Case {
    std::string cmd;
  };
  const std::vector<std::string> tools = {
      bin("eval-ppl") + " --model " + model + " --dataset " + wiki + " --seqlen 64 --max-windows 1 --quiet",
      bin("generate") + " --model " + model + " --prompt Once --max-new-tokens 3",
      bin("inspect") + " --model " + model,
      bin("prune") + " --model " + model + " --method magnitude --sparsity 0.5 --quiet --out " + tmp + "/pruned",
  };
  for (const std::string& t : tools) {
    auto r = run_cmd(t + " --json /dev/full");
    EXPECT_EQ(r.code, 1) << t << "\n" << r.output;
    EXPECT_NE(r.output.find("/dev/full"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
    // Unwritable --json: exit 2 before any work (prune: no output directory appears).
    fs::remove_all(tmp + "/pruned");
    r = run_cmd(t + " --json " + tmp + "/no/such/dir/r.json");
    EXPECT_EQ(r.code, 2) << t << "\n" << r.output;
    EXPECT_NE(r.output.find("--json"), std::string::npos) << r.output;
    EXPECT_FALSE(path_exists(tmp + "/pruned")) << t;
  }
  fs::remove_all(tmp);
}

TEST(OutputSafety, CLIFileSizeLimitMidCheckpointIsExit1WithNothingLeft) {
  PRUNEKIT_FIXTURE(shared_model, "models/stories260K");
  const std::string tmp = prunekit_test::temp_dir("out-efbig");
  const std::string model = copy_model(shared_model, tmp + "/model");
  spit(model + "/README.md", std::string(2000000, 'r'));  // larger than the 1.18 MB weights
  // 1300 KiB per file: the weights fit, the side file copied after them does not (EFBIG mid-copy).
  auto r = run_cmd("bash -c \"trap '' XFSZ; ulimit -f 1300; " + bin("prune") + " --model " + model +
                   " --method magnitude --sparsity 0.5 --quiet --out " + tmp + "/out --json " + tmp + "/r.json\"");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("README.md"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("File too large"), std::string::npos) << r.output;
  EXPECT_FALSE(path_exists(tmp + "/out"));
  EXPECT_FALSE(path_exists(tmp + "/r.json"));
  EXPECT_EQ(entries_with(tmp, "out.").size(), 0u) << "temporary or lock left";
  // 256 KiB: the weights file cannot even be sized.
  r = run_cmd("bash -c \"trap '' XFSZ; ulimit -f 256; " + bin("prune") + " --model " + model +
              " --method magnitude --sparsity 0.5 --quiet --out " + tmp + "/out --json " + tmp + "/r.json\"");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("File too large"), std::string::npos) << r.output;
  EXPECT_FALSE(path_exists(tmp + "/out"));
  EXPECT_FALSE(path_exists(tmp + "/r.json"));
  EXPECT_EQ(entries_with(tmp, "out.").size(), 0u) << "temporary or lock left";
  // Without the shell's trap: prunekit ignores SIGXFSZ itself, so the result is the same.
  r = run_cmd("bash -c \"ulimit -f 256; " + bin("prune") + " --model " + model + " --method magnitude --sparsity 0.5 --quiet --out " +
              tmp + "/out\"");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_FALSE(path_exists(tmp + "/out"));
  EXPECT_EQ(entries_with(tmp, "out.").size(), 0u);
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------------------------
// Defect 15 + "Done when": a kill at five points of a real prune leaves the input byte-identical
// and no complete-looking output; SIGTERM cleans up and exits 143, SIGINT 130; after SIGKILL the
// next run removes the dead run's temporary.

TEST(OutputSafety, CLIKillAtFivePointsLeavesInputIntactAndNoCompleteLookingOutput) {
  PRUNEKIT_FIXTURE(shared_model, "models/stories260K");
  PRUNEKIT_FIXTURE(calib, "data/c4-sample.jsonl");
  const std::string tmp = prunekit_test::temp_dir("out-kill");
  const std::string model = copy_model(shared_model, tmp + "/model");
  const auto before = hash_tree(model);
  const std::string prune = bin("prune") + " --model " + model + " --method wanda --sparsity 0.5 --nsamples 4 --seqlen 64 " +
                            "--calib " + calib + " --quiet --save-masks --out " + tmp + "/out --json " + tmp + "/r.json";
  for (const char* point : {"calibration", "layers", "writing", "commit", "committed"}) {
    for (const char* sig : {"TERM", "INT", "KILL"}) {
      SCOPED_TRACE(std::string(point) + " SIG" + sig);
      fs::remove_all(tmp + "/out");
      fs::remove(tmp + "/r.json");
      auto r = run_paused(tmp, point, prune, std::string("kill -") + sig + " $pid");
      const std::string want = std::string("rc=") + (sig[0] == 'T' ? "143" : sig[0] == 'I' ? "130" : "137");
      EXPECT_NE(r.output.find(want), std::string::npos) << r.output;
      EXPECT_EQ(hash_tree(model), before) << "input changed";
      EXPECT_FALSE(path_exists(tmp + "/r.json"));
      if (std::string(point) == "committed") {
        // Killed after the commit: the output is complete and says so.
        EXPECT_TRUE(prunekit::is_prunekit_output(tmp + "/out"));
        prunekit::Checkpoint ck(tmp + "/out");
        EXPECT_EQ(ck.names().size(), prunekit::Checkpoint(model).names().size());
      } else {
        EXPECT_FALSE(path_exists(tmp + "/out")) << r.output;
      }
      if (sig[0] != 'K') {
        EXPECT_EQ(entries_with(tmp, "out.").size(), 0u) << "temporary or lock left";
        if (std::string(point) != "committed")
          EXPECT_NE(r.output.find("the temporary output was removed"), std::string::npos) << r.output;
      } else if (std::string(point) != "committed") {
        // SIGKILL cannot be handled: the temporary stays beside --out, named for what it is
        // (<out>.prunekit-tmp-<pid>-XXXXXX) with the pid of the dead run; the next run removes it.
        const auto left = entries_with(tmp, "out.prunekit-tmp-");
        ASSERT_EQ(left.size(), 1u);
      }
    }
  }
  // After a SIGKILL: the next run removes the dead run's temporary and succeeds.
  fs::remove_all(tmp + "/out");
  run_paused(tmp, "writing", prune, "kill -KILL $pid");
  ASSERT_EQ(entries_with(tmp, "out.prunekit-tmp-").size(), 1u);
  auto r = run_cmd(prune);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("temporary output of an interrupted run"), std::string::npos) << r.output;
  EXPECT_EQ(entries_with(tmp, "out.").size(), 0u);
  EXPECT_TRUE(prunekit::is_prunekit_output(tmp + "/out"));
  EXPECT_EQ(hash_tree(model), before);
  fs::remove_all(tmp);
}

TEST(OutputSafety, CLIUserDirectoryCreatedDuringTheRunSurvivesTheCommit) {
  PRUNEKIT_FIXTURE(model, "models/stories260K");
  const std::string tmp = prunekit_test::temp_dir("out-cli-race"), out = tmp + "/out";
  auto r = run_paused(tmp, "commit",
                      bin("prune") + " --model " + model + " --method magnitude --sparsity 0.5 --quiet --overwrite --out " + out,
                      "mkdir " + out + " && echo mine > " + out + "/data.txt; touch " + tmp + "/go");
  EXPECT_NE(r.output.find("rc=2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("appeared during the run"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(out + "/data.txt"), "mine\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 1);
  EXPECT_EQ(entries_with(tmp, "out.").size(), 0u);
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------------------------
// Issue 15 item 1: the output is the input directory with the weights replaced.

TEST(OutputSafety, CLIOutputIsTheInputDirectoryWithTheWeightsReplaced) {
  PRUNEKIT_FIXTURE(shared_model, "models/stories260K");
  const std::string tmp = prunekit_test::temp_dir("out-complete");
  const std::string model = copy_model(shared_model, tmp + "/model");
  // Twelve assorted side files (one a symlink to a file outside) and a sub-folder.
  spit(tmp + "/outside/notes.md", "linked notes\n");
  const std::map<std::string, std::string> side = {
      {"chat_template.jinja", "{% for m in messages %}{{ m['content'] }}{% endfor %}"},
      {"vocab.json", "{\"a\": 0}"},
      {"merges.txt", "#version: 0.2\na b\n"},
      {"added_tokens.json", "{\"<pad>\": 512}"},
      {"preprocessor_config.json", "{\"do_resize\": false}"},
      {"README.md", "# model card\n"},
      {"LICENSE", "MIT\n"},
      {"params.json", "{\"dim\": 64}"},
      {".gitattributes", "*.safetensors filter=lfs\n"},
      {"USE_POLICY.md", std::string(5000, 'p')},
      {"original/consolidated.00.pth", std::string(3000, '\x01')},
      {"original/params.json", "{\"n_layers\": 5}"},
      {"original/tokenizer/tokenizer.model", "spm"},
  };
  for (const auto& [f, text] : side) spit(model + "/" + f, text);
  fs::create_symlink(tmp + "/outside/notes.md", model + "/notes.md");
  const auto before = hash_tree(model);
  const std::string out = tmp + "/out";
  auto r = run_cmd(bin("prune") + " --model " + model + " --method magnitude --sparsity 0.5 --save-masks --quiet --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(hash_tree(model), before);

  const auto after = hash_tree(out);
  for (const auto& [f, h] : before) {
    if (f == "model.safetensors") continue;  // the pruned weights
    ASSERT_TRUE(after.count(f)) << f << " not copied";
    EXPECT_EQ(after.at(f), h) << f << " differs";
  }
  EXPECT_FALSE(fs::is_symlink(out + "/notes.md"));  // resolved: a copy, not a link out of the directory
  EXPECT_EQ(slurp(out + "/notes.md"), "linked notes\n");
  // No extra *.safetensors at the root: masks and statistics live under prunekit/.
  std::vector<std::string> root_st = {};
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().extension() == ".safetensors") root_st.push_back(e.path().filename().string());
  EXPECT_EQ(root_st, std::vector<std::string>{"model.safetensors"});
  EXPECT_TRUE(path_exists(out + "/prunekit/masks.safetensors"));
  // The report: input hashes (checked against coreutils) and the copied files with their sizes.
  json rep = json::parse(slurp(out + "/prunekit/prune_report.json"));
  for (const char* f : {"config.json", "model.safetensors"}) {
    auto s = run_cmd("sha256sum " + model + "/" + f);
    if (s.code == 0) EXPECT_EQ(rep["input_files"][f]["sha256"].get<std::string>(), s.output.substr(0, 64)) << f;
    EXPECT_EQ(rep["input_files"][f]["bytes"].get<uint64_t>(), fs::file_size(model + "/" + f)) << f;
  }
  EXPECT_EQ(rep["side_files"]["copied"]["USE_POLICY.md"]["bytes"].get<uint64_t>(), 5000u);
  EXPECT_EQ(rep["side_files"]["copied"]["original/consolidated.00.pth"]["bytes"].get<uint64_t>(), 3000u);
  EXPECT_TRUE(rep["side_files"]["copied"]["notes.md"]["via_symlink"].get<bool>());
  EXPECT_TRUE(rep["side_files"]["skipped"].contains("model.safetensors"));
  // The output of a prune is itself a valid input whose own prune carries everything again,
  // without the first run's prunekit/ folder.
  r = run_cmd(bin("prune") + " --model " + out + " --method magnitude --sparsity 0.6 --quiet --out " + tmp + "/out2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(path_exists(tmp + "/out2/prunekit/masks.safetensors"));
  EXPECT_EQ(slurp(tmp + "/out2/original/params.json"), "{\"n_layers\": 5}");
  fs::remove_all(tmp);
}
