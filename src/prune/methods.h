// Factories of the built-in methods (one file each), used by the registry in pruner.cpp.
#pragma once
#include <memory>

#include "prunekit/prune.h"

namespace prunekit {
std::unique_ptr<Pruner> make_magnitude_pruner(const MethodParams& p);
std::unique_ptr<Pruner> make_wanda_pruner(const MethodParams& p);
std::unique_ptr<Pruner> make_ria_pruner(const MethodParams& p);
std::unique_ptr<Pruner> make_sparsegpt_pruner(const MethodParams& p);
std::unique_ptr<Pruner> make_alps_pruner(const MethodParams& p);
}  // namespace prunekit
