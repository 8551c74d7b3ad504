// The front end types its requests with the types generated from the operation declarations
// (web/src/generated/operations.ts, checked by tests/cli/operations_test.cpp); the tag job's share of
// the `tag` options is named in web/src/api.ts and must be the list the server accepts.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "tagmetry/server.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_pipeline.h"
#include "test_support.h"

namespace tagmetry {
namespace {

// The members of `export type NAME = | 'a' | 'b' ...;` in TypeScript source.
std::vector<std::string> union_members(const std::string& ts, const std::string& name) {
  const std::string open = "export type " + name + " =";
  size_t a = ts.find(open);
  if (a == std::string::npos) return {"(" + name + " not found)"};
  size_t b = ts.find(';', a);
  std::string body = ts.substr(a + open.size(), b - a - open.size());
  std::vector<std::string> out;
  std::regex literal("'([^']*)'");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), literal); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

TEST(ApiTypes, TagJobOptionsOfTheFrontEndAreTheServers) {
  std::vector<std::string> web =
      union_members(testing::read_all(testing::test_source_path("../web/src/api.ts")), "TagJobOption");
  std::vector<std::string> server;
  for (auto& n : tag_job_option_names()) server.push_back(replace_all(n, "-", "_"));
  std::sort(web.begin(), web.end());
  std::sort(server.begin(), server.end());
  EXPECT_EQ(web, server) << "web/src/api.ts TagJobOption and tag_job_option_names() (src/server/routes_jobs.cpp) differ";
  // Each is an option of the `tag` operation, so TagParams (generated) has it.
  for (auto& n : tag_job_option_names()) EXPECT_NE(tag_options().find(n), nullptr) << n;
}

TEST(ApiTypes, TheFrontEndUsesTheGeneratedParameterTypes) {
  const std::string api = testing::read_all(testing::test_source_path("../web/src/api.ts"));
  EXPECT_NE(api.find("import type { SimulateParams, TagParams } from './generated/operations';"), std::string::npos);
  const std::string generated = testing::read_all(testing::test_source_path("../web/src/generated/operations.ts"));
  EXPECT_NE(generated.find("export interface TagParams {"), std::string::npos);
  EXPECT_NE(generated.find("export interface SimulateParams {"), std::string::npos);
}

}  // namespace
}  // namespace tagmetry
