#pragma once
// The registry of operations (src/ops/operations.cpp lists every module's declaration) and what is built from
// it: the JSON description and the front end's TypeScript types. It depends on every module that declares
// an operation, so only the CLI uses it; a module's own code uses its own `xxx_operation()`.

#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/operation.h"

namespace tagmetry {

// Every operation the library declares (src/ops/operations.cpp lists them), in --help order.
const std::vector<OperationDoc>& operation_docs();
// The operation named `name` ("retag", "models pull"), or nullptr.
const OperationDoc* find_operation_doc(std::string_view name);

// All operations as JSON text ({"operations":[{"name","summary","http","doc_page","options":[{"name",
// "type","default","help","group","choices","env","positional","required","min","max"}]}]}), for
// `tagmetry options --json`.
std::string operations_json();
// TypeScript declarations of each operation with an HTTP route: an interface of its parameters
// (`RetagParams { general_threshold?: number; ... }`), for web/src/generated/operations.ts.
std::string operations_typescript();

}  // namespace tagmetry
