// The method registry: `--method NAME` -> a Pruner. Adding a method is one new file
// src/prune/<name>.cpp that defines `MethodInfo <name>_method()` and one entry in the list below.
#include "prunekit/prune.h"

#define PRUNEKIT_METHODS(X) X(magnitude) X(wanda) X(ria) X(sparsegpt) X(alps) X(random)

namespace prunekit {

#define PRUNEKIT_DECLARE_METHOD(name) MethodInfo name##_method();
PRUNEKIT_METHODS(PRUNEKIT_DECLARE_METHOD)

const std::vector<MethodInfo>& registered_methods() {
#define PRUNEKIT_LIST_METHOD(name) name##_method(),
  static const std::vector<MethodInfo> methods = {PRUNEKIT_METHODS(PRUNEKIT_LIST_METHOD)};
  return methods;
}

}  // namespace prunekit
