// `tagmetry ja` and `tagmetry ja2tags` through the real binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ja_fixture.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::write_all;

TEST(Ja2TagsCli, JsonIsTheAcceptanceFormat) {
  TM_REQUIRE_JA_MATCHER();
  auto r = run_cli({"ja2tags", "青い髪の女の子が桜の下で笑っている", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"tags\":[{\"tag\":\"1girl\",\"score\":1.0,\"category\":\"general\",\"from\":[\"女の子\"]},"
            "{\"tag\":\"smile\",\"score\":0.94,\"category\":\"general\",\"from\":[\"笑っ\",\"て\",\"いる\"]},"
            "{\"tag\":\"blue_hair\",\"score\":0.9,\"category\":\"general\",\"from\":[\"青い\",\"髪\"]},"
            "{\"tag\":\"cherry_blossoms\",\"score\":0.88,\"category\":\"general\",\"from\":[\"桜\"]}],"
            "\"unmatched\":[]}\n");
}

TEST(Ja2TagsCli, NegativeAndUnmatchedInJsonAndText) {
  TM_REQUIRE_JA_MATCHER();
  auto r = run_cli({"ja2tags", "--json", "眼鏡なしの女の子、ズンドコ"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"tags\":[{\"tag\":\"1girl\",\"score\":1.0,\"category\":\"general\",\"from\":[\"女の子\"]}],"
            "\"unmatched\":[\"ズンドコ\"],"
            "\"negative\":[{\"tag\":\"glasses\",\"score\":0.91,\"category\":\"general\",\"from\":[\"眼鏡\"]}]}\n");
  auto t = run_cli({"ja2tags", "眼鏡なしの女の子、ズンドコ"});
  EXPECT_EQ(t.out, "1girl\nnegative: glasses\n");
  EXPECT_EQ(t.err, "unmatched: ズンドコ\n");
}

TEST(Ja2TagsCli, TopMinCountEmptyAndInvalid) {
  TM_REQUIRE_JA_MATCHER();
  auto top = run_cli({"ja2tags", "--top", "2", "--min-count", "100000", "1girl, blue hair, cherry blossoms, smile"});
  EXPECT_EQ(top.out, "1girl, smile\n");
  // An empty request is a usage error, not an empty answer; with --json the error is on stdout too.
  auto empty = run_cli({"ja2tags", "--json", " "});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_EQ(empty.err.rfind("tagmetry: empty request: give the request as text", 0), 0u) << empty.err;
  EXPECT_EQ(nlohmann::json::parse(empty.out)["error"]["code"], "invalid_argument") << empty.out;
  auto bad = run_cli({"ja2tags", "--json", "\xff\xfe"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(bad.out)["error"]["message"], "request is not valid UTF-8 (byte offset 0)");
  EXPECT_NE(bad.err.find("not valid UTF-8"), std::string::npos);
}

TEST(Ja2TagsCli, TagsDbAndCompletionFromCorpus) {
  TM_REQUIRE_JA_MATCHER();
  testing::TempDir tmp;
  write_all(tmp / "tags.csv", "1girl,0,100,\nblue_hair,0,50,\"bluehair\"\n");
  auto r = run_cli({"ja2tags", "--tags-db", (tmp / "tags.csv").string(), "青い髪の女の子、笑顔"});
  EXPECT_EQ(r.out, "1girl, blue_hair\n");  // smile is not in this small list
  fs::create_directories(tmp / "corpus");
  write_all(tmp / "corpus" / "a.txt", "1girl, blue_hair, school_uniform, smile");
  write_all(tmp / "corpus" / "b.txt", "1girl, blue_hair, school_uniform");
  write_all(tmp / "corpus" / "c.txt", "1boy, hat");
  write_all(tmp / "corpus" / "c_jp.txt", "女の子一人, 不要");  // never read
  auto c = run_cli({"ja2tags", "--json", "--complete", "2", "--corpus", (tmp / "corpus").string(), "青い髪の女の子"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("\"suggested\":[{\"tag\":\"school_uniform\",\"score\":1.0},{\"tag\":\"smile\",\"score\":0.5}]"),
            std::string::npos)
      << c.out;
  auto missing = run_cli({"ja2tags", "--complete", "3", "女の子"});
  EXPECT_EQ(missing.exit_code, 2);
  auto nodic = run_cli({"ja2tags", "--mecab-dicdir", (tmp / "none").string(), "女の子"});
  EXPECT_EQ(nodic.exit_code, 2);
  EXPECT_NE(nodic.err.find("mecab-ipadic-utf8"), std::string::npos);
}

// A LoRA dataset's captions all open with its trigger, so co-occurrence ranks it first; it is never a
// useful suggestion (walk-through A8).
TEST(Ja2TagsCli, CompletionNeverSuggestsTheDatasetTrigger) {
  TM_REQUIRE_JA_MATCHER();
  testing::TempDir tmp;
  write_all(tmp / "a.txt", "zkw_chara, 1girl, blue_hair, school_uniform, smile");
  write_all(tmp / "b.txt", "zkw_chara, 1girl, blue_hair, school_uniform");
  write_all(tmp / "c.txt", "zkw_chara, 1girl, blue_hair, hat");
  write_all(tmp / "d.txt", "zkw_chara, 1girl, long_hair");
  auto c = run_cli({"ja2tags", "--complete", "2", "--corpus", tmp.path().string(), "青い髪の女の子"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out, "1girl, blue_hair\nsuggested: school_uniform, hat\n");
  // A Danbooru tag opening every caption is not a trigger: it is still suggested.
  testing::TempDir plain;
  write_all(plain / "a.txt", "smile, 1girl, blue_hair");
  write_all(plain / "b.txt", "smile, 1girl, blue_hair, hat");
  auto p = run_cli({"ja2tags", "--complete", "1", "--corpus", plain.path().string(), "青い髪の女の子"});
  EXPECT_EQ(p.out, "1girl, blue_hair\nsuggested: smile\n");
}

TEST(JaCli, WritesJapaneseCaptionsInAPathWithSpacesAndJapanese) {
  testing::TempDir tmp;
  fs::path dir = tmp / "データ セット";
  fs::create_directories(dir);
  write_all(dir / "img 01.png", "not really a png");
  write_all(dir / "img 01.txt", "\xEF\xBB\xBF" "1girl, blue_hair, bow, absurdres, my_trigger\r\n");
  write_all(dir / "bad.txt", "1girl, \xff");
  write_all(dir / "old_jp.txt", "1girl");
  auto r = run_cli({"ja", dir.string()});
  EXPECT_EQ(r.exit_code, 1);  // one file failed; the rest were written
  EXPECT_EQ(read_all(dir / "img 01_jp.txt"), "女の子一人, 青髪, リボン, 超高解像度, my_trigger");
  EXPECT_FALSE(fs::exists(dir / "bad_jp.txt"));
  EXPECT_FALSE(fs::exists(dir / "old_jp_jp.txt"));
  EXPECT_NE(r.err.find("bad.txt: not valid UTF-8"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("ja: 2 captions, 1 written, 0 unchanged, 0 kept, 1 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("my_trigger (1)"), std::string::npos);

  write_all(tmp / "mine.csv", "my_trigger,トリガー\nbow,蝶結び\n");
  auto o = run_cli({"ja", dir.string(), "--dict", (tmp / "mine.csv").string(), "--overwrite", "--json"});
  EXPECT_EQ(o.out,
            "{\"captions\":2,\"written\":1,\"unchanged\":0,\"kept\":[],\"failed\":[{\"file\":\"bad.txt\",\"error\":\"" +
                (dir / "bad.txt").string() + ": not valid UTF-8 (byte 0xff at offset 7); left unchanged\"}],\"untranslated\":{},\"dry_run\":false}\n");
  EXPECT_EQ(read_all(dir / "img 01_jp.txt"), "女の子一人, 青髪, 蝶結び, 超高解像度, トリガー");
}

// Walk-through B23's repro: big franchises read as their official titles, nothing literal or vulgar.
TEST(JaCli, WorksAndCharactersReadAsTheirOfficialNames) {
  testing::TempDir tmp;
  write_all(tmp / "a.txt",
            "fate_(series), fate/grand_order, bocchi_the_rock!, gotoh_hitori, male_focus, bangs, arknights, "
            "umamusume, touhou, hakurei_reimu\n");
  auto r = run_cli({"ja", tmp.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(tmp / "a_jp.txt"),
            "Fateシリーズ, Fate/Grand Order, ぼっち・ざ・ろっく！, 後藤ひとり, 男性メイン, 前髪, アークナイツ, "
            "ウマ娘, 東方Project, 博麗霊夢");
  auto fan = run_cli({"ja", "--lookup", "霊夢"});
  EXPECT_EQ(fan.out.substr(0, fan.out.find('\n')), "hakurei_reimu\t博麗霊夢");
}

TEST(JaCli, LookupGoesFromJapaneseToTags) {
  auto r = run_cli({"ja", "--lookup", "青髪"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "blue_hair\t青髪");
  auto j = run_cli({"ja", "--lookup", "超高解像度", "--json"});
  EXPECT_EQ(j.out.substr(0, j.out.find('}') + 1), "[{\"tag\":\"absurdres\",\"japanese\":\"超高解像度\",\"exact\":true}");
  auto none = run_cli({"ja", "--lookup", "ズンドコ"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "");
  auto usage = run_cli({"ja"});
  EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
}  // namespace tagmetry
