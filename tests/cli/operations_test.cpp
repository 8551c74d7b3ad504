// Every operation is declared once in the library (include/tagmetry/operation.h). These tests fail when
// a docs page, a CLI flag or the front end's generated types disagree with a declaration.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "test_support.h"

namespace tagmetry {
namespace {

using nlohmann::json;

json declarations() {
  auto r = testing::run_cli({"options", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

std::string documented_table(const std::string& page, const std::string& command) {
  std::string text = testing::read_all(testing::test_source_path("../docs/" + page));
  std::string open = "<!-- options:" + command + " -->\n", close = "<!-- /options:" + command + " -->";
  auto a = text.find(open), b = text.find(close);
  if (a == std::string::npos || b == std::string::npos) return "(markers " + open + " missing in docs/" + page + ")";
  return text.substr(a + open.size(), b - a - open.size());
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::string w;
  for (char c : s) {
    if (c == ' ') {
      if (!w.empty()) out.push_back(w);
      w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) out.push_back(w);
  return out;
}

TEST(Operations, DeclarationsAreWellFormed) {
  const json ops = declarations()["operations"];
  ASSERT_GE(ops.size(), 6u);
  std::set<std::string> names;
  for (auto& op : ops) {
    std::string name = op["name"];
    EXPECT_TRUE(names.insert(name).second) << "operation declared twice: " << name;
    EXPECT_FALSE(op["summary"].get<std::string>().empty()) << name;
    std::set<std::string> options;
    for (auto& o : op["options"]) {
      std::string n = o["name"];
      EXPECT_TRUE(options.insert(n).second) << name << ": option declared twice: " << n;
      EXPECT_TRUE(std::regex_match(n, std::regex("[a-z][a-z0-9-]*"))) << name << ": not kebab-case: " << n;
      EXPECT_FALSE(o["help"].get<std::string>().empty()) << name << " --" << n << " has no help";
    }
  }
}

TEST(Operations, EveryDocPageEmbedsTheGeneratedTable) {
  const json ops = declarations()["operations"];  // a copy: the temporary would not outlive the loop
  ASSERT_GE(ops.size(), 6u);
  for (auto& op : ops) {
    std::string name = op["name"], page = op["doc_page"];
    if (page.empty()) continue;
    std::vector<std::string> args{"options"};
    for (auto& w : words(name)) args.push_back(w);
    auto r = testing::run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(documented_table(page, name), r.out)
        << "docs/" << page << " is out of date: regenerate with `tagmetry options " << name << "`";
  }
}

TEST(Operations, EveryDeclaredOptionIsACliFlagAndNoFlagIsUndeclared) {
  // Flags about how a command prints, not what it does, are the CLI's own.
  const std::set<std::string> presentation{"help", "json", "csv", "html", "quiet", "progress", "no-progress"};
  // Commands whose CLI still declares flags of its own (issue #20: to be emptied).
  const std::set<std::string> not_yet_declared{};
  const json ops = declarations()["operations"];  // a copy: the temporary would not outlive the loop
  ASSERT_GE(ops.size(), 6u);
  for (auto& op : ops) {
    std::string name = op["name"];
    std::vector<std::string> args;
    for (auto& w : words(name)) args.push_back(w);
    args.push_back("--help");
    auto r = testing::run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    std::set<std::string> flags;
    // Flags as --help lists them: at the start of a line ("  -h,--help", "  --json"), not in help texts.
    std::regex flag_re("(^|\\n) +(-[a-zA-Z],)?--([a-z][a-z0-9-]*)");
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), flag_re), end; it != end; ++it) flags.insert((*it)[3]);
    for (auto& o : op["options"]) {
      if (o["positional"]) continue;
      EXPECT_TRUE(flags.count(o["name"].get<std::string>())) << name << ": declared --" << o["name"] << " is not a flag";
    }
    for (auto& f : flags) {
      if (presentation.count(f) || not_yet_declared.count(name)) continue;
      bool declared = false;
      for (auto& o : op["options"]) declared = declared || o["name"] == f;
      EXPECT_TRUE(declared) << name << ": flag --" << f << " is not in the operation's declaration";
    }
  }
}

TEST(Operations, FrontEndTypesAreGeneratedFromTheDeclarations) {
  auto r = testing::run_cli({"options", "--typescript"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("export interface TagParams {"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  general_threshold?: number | null;"), std::string::npos) << r.out;
  EXPECT_EQ(testing::read_all(testing::test_source_path("../web/src/generated/operations.ts")), r.out)
      << "web/src/generated/operations.ts is out of date: regenerate with "
         "`tagmetry options --typescript > web/src/generated/operations.ts`";
}

// The subcommands `tagmetry ARGS --help` lists (CLI11's "SUBCOMMANDS:" section).
std::vector<std::string> subcommands(const std::vector<std::string>& args) {
  std::vector<std::string> with_help = args;
  with_help.push_back("--help");
  auto r = testing::run_cli(with_help);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out;
  size_t at = r.out.find("SUBCOMMANDS:");
  if (at == std::string::npos) at = r.out.find("Subcommands:");
  if (at == std::string::npos) return out;
  std::regex line_re("\\n  ([a-z][a-z0-9-]*)( |\\n)");
  std::string rest = r.out.substr(at);
  for (std::sregex_iterator it(rest.begin(), rest.end(), line_re), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

TEST(Operations, EveryCommandIsAnOperation) {
  // The CLI's own: `options` prints the declarations, `policy show` takes one preset name.
  const std::set<std::string> cli_only{"options", "policy show"};
  std::set<std::string> declared;
  const json ops = declarations()["operations"];  // a copy: the temporary would not outlive the loop
  for (auto& op : ops) declared.insert(op["name"].get<std::string>());
  const std::vector<std::string> commands = subcommands({});
  ASSERT_GE(commands.size(), 20u);
  for (auto& command : commands) {
    if (declared.count(command) || cli_only.count(command)) continue;
    const std::vector<std::string> subs = subcommands({command});
    EXPECT_FALSE(subs.empty()) << "tagmetry " << command << " is not an operation (src/ops/operations.cpp)";
    for (auto& sub : subs)
      EXPECT_TRUE(declared.count(command + " " + sub) || cli_only.count(command + " " + sub))
          << "tagmetry " << command << " " << sub << " is not an operation (src/ops/operations.cpp)";
  }
}

TEST(Operations, UnknownCommandIsAUsageError) {
  auto r = testing::run_cli({"options", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: no option table for 'nope'\n");
}

}  // namespace
}  // namespace tagmetry
