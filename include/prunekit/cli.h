// Kept so that `#include "prunekit/cli.h"` in the tools compiles: the shared tools layer lives in
// tools/common/cli.h (only the tools have tools/ on their include path; the library never includes it).
#pragma once
#include "common/cli.h"
