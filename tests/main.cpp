// Test entry point: the same process set-up as the tools (see prunekit::init_process).
#include <gtest/gtest.h>

#include "prunekit/common.h"

int main(int argc, char** argv) {
  prunekit::init_process(argc, argv);
  prunekit::set_threads(0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
