#pragma once
// Checks the front end's hand-written response types (web/src/*.ts interfaces) against real JSON answers:
// every key an interface names, at every level of its inline object types, must be a key of the answer.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tagmetry::testing {

// The keys `interface NAME { … }` in TypeScript `source` names that `answer` lacks, as paths
// ("changes[].before"); "(interface NAME not found)" when there is no such interface. A key whose value
// is an inline object type (`{ a: …; b: … }`, `{ … }[]`, `null | { … }`) is checked in each object of
// the answer at that key (every element of an array; null skips). Optional keys (`key?:`) may be absent.
// `extends` clauses are not followed.
std::vector<std::string> ts_keys_missing_from(const std::string& source, const std::string& name,
                                              const nlohmann::json& answer);

}  // namespace tagmetry::testing
