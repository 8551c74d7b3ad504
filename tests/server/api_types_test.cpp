// The front end's request types are generated from the option declarations: the committed
// web/src/generated/api_params.ts must be what `tagmetry api-types` prints (the web_typecheck test then
// checks the front end against it), and the server takes exactly the options the types name.
#include <gtest/gtest.h>

#include "tagmetry/server.h"
#include "tagmetry/tag_pipeline.h"
#include "test_support.h"

namespace tagmetry {
namespace {

TEST(ApiTypes, CommittedFileIsTheGeneratorOutput) {
  auto r = testing::run_cli({"api-types"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, web_api_typescript());
  EXPECT_EQ(testing::read_all(testing::test_source_path("../web/src/generated/api_params.ts")), r.out)
      << "web/src/generated/api_params.ts is out of date: regenerate with "
         "`build/bin/tagmetry api-types > web/src/generated/api_params.ts`";
}

TEST(ApiTypes, DeclarationsBecomeTypedOptionalMembers) {
  const std::string ts = web_api_typescript();
  EXPECT_NE(ts.find("export interface TagJobParams {"), std::string::npos) << ts;
  EXPECT_NE(ts.find("  general_threshold?: number | null;\n"), std::string::npos) << ts;
  EXPECT_NE(ts.find("  overwrite?: boolean;\n"), std::string::npos) << ts;
  EXPECT_NE(ts.find("  precision?: 'fp32' | "), std::string::npos) << ts;
  EXPECT_NE(ts.find("export interface KohyaCaptionSettings {"), std::string::npos) << ts;
  EXPECT_NE(ts.find("  keep_tokens?: number;\n"), std::string::npos) << ts;
  // Options the server keeps to itself are not offered to the page.
  EXPECT_EQ(ts.find("  shard?:"), std::string::npos) << ts;
  EXPECT_EQ(ts.find("  db?:"), std::string::npos) << ts;
  // Every member is an option the tag job accepts.
  for (auto& o : tag_job_options().options()) EXPECT_NE(tag_options().find(o.info.name), nullptr) << o.info.name;
}

}  // namespace
}  // namespace tagmetry
