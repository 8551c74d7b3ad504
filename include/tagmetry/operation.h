#pragma once
// An operation: one thing Tagmetry does, declared once in the library — its name, one-line summary,
// arguments and options (an OptionSet over its params struct, with types, defaults, ranges and help), its
// HTTP route when the web app offers it, and its docs page. The CLI subcommand (tools/tagmetry), the
// HTTP API's parameters (src/server), the option tables in docs/ and the front end's TypeScript types
// are all built from this one declaration; tests/cli/operations_test.cpp fails when one disagrees.
//
//   const Operation<RetagParams>& retag_operation() {
//     static const Operation<RetagParams> op = [] {
//       Operation<RetagParams> o{{"retag", "Rewrite captions from stored scores (no model)"}};
//       o.info.http = "POST /api/retag";
//       o.options.positional("dir", &RetagParams::dir, "Dataset folder");
//       o.options.add("general-threshold", ...);
//       return o;
//     }();
//     return op;
//   }

#include <string>
#include <vector>

#include "tagmetry/options.h"

namespace tagmetry {

struct OperationInfo {
  std::string name;      // the CLI command: "retag", "models pull"
  std::string summary;   // one line, for --help and the docs
  std::string http;      // "POST /api/retag" when the web app offers it, else ""
  std::string doc_page;  // docs page holding the generated option table ("retag.md"), "" for none
};

// What the docs, generators and the registry see of one option: its declaration and default as text.
struct OptionDoc {
  OptionInfo info;
  std::string default_text;  // the params struct's default, as `tagmetry options` prints it
};

// A type-erased description of an operation (its params struct's type forgotten).
struct OperationDoc {
  OperationInfo info;
  std::vector<OptionDoc> options;  // positional arguments first, in declaration order
  std::string table;               // the Markdown option table (docs/<doc_page> embeds it)

  // "tagmetry retag DIR [options]"
  std::string usage() const;
};

template <class P>
struct Operation {
  OperationInfo info;
  OptionSet<P> options;

  OperationDoc doc() const {
    OperationDoc d{info, {}, options.markdown()};
    P defaults{};
    for (bool positional : {true, false})
      for (auto& o : options.options())
        if (o.info.positional == positional) d.options.push_back({o.info, options.get(defaults, o)});
    return d;
  }
};

// Every operation the library declares (src/ops/operations.cpp lists them), in --help order.
const std::vector<OperationDoc>& operation_docs();
// The operation named `name` ("retag", "models pull"), or nullptr.
const OperationDoc* find_operation_doc(std::string_view name);

// All operations as JSON text ({"operations":[{"name","summary","http","doc_page","options":[{"name",
// "type","default","help","group","choices","env","positional","required","min","max"}]}]}), for
// `tagmetry options --json` and the server's GET /api/operations.
std::string operations_json();
// TypeScript declarations of each operation with an HTTP route: an interface of its parameters
// (`RetagParams { general_threshold?: number; ... }`), for web/src/generated/operations.ts.
std::string operations_typescript();

}  // namespace tagmetry
