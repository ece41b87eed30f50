// Fuzz target: one line of a zero-shot task file (parse_task_line). The first byte picks the task
// (each built-in lm-eval construction, and the generic {"context","choices","gold"} one); the rest
// is the line. A document that parses must have a gold index among its requests.
#include <cstdlib>

#include "fuzz_common.h"
#include "prunekit/zeroshot.h"

PRUNEKIT_FUZZ_TARGET({
  static const char* const kTasks[] = {"boolq", "rte",        "hellaswag",  "arc_easy",          "arc_challenge",
                                       "piqa",  "openbookqa", "winogrande", "tinystories-cloze", "generic"};
  if (input.empty()) return 0;
  const char* task = kTasks[static_cast<uint8_t>(input[0]) % (sizeof kTasks / sizeof kTasks[0])];
  const prunekit::McDoc d = prunekit::parse_task_line(task, input.substr(1), "task.jsonl:1");
  if (d.gold < 0 || d.gold >= static_cast<int>(d.requests.size()) || d.choices.size() != d.requests.size())
    std::abort();
})
