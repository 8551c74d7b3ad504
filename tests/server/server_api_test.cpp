// The serve API over a small dataset: lists and filters, image detail, thumbnails, caption edits with
// version checks, batch edits, undo/redo, tags and autocomplete, stats, lint, preview, ja2tags, and the
// safety rules (Host header, CSRF token, traversal, symlinks, size limits).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "server_fixture.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

void write_png(const fs::path& path, int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < img.pixels.size(); i += 3) img.pixels[i] = r, img.pixels[i + 1] = g, img.pixels[i + 2] = b;
  auto bytes = encode_image(img, EncodeOptions{});
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  write_all(path, *bytes);
}

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tmp / "set";
    fs::create_directories(root);
    write_png(root / "a.png", 600, 300, 255, 0, 0);
    write_png(root / "b.png", 64, 64, 0, 255, 0);
    write_png(root / "c.png", 64, 64, 0, 0, 255);
    write_png(root / "d.png", 64, 64, 9, 9, 9);
    write_png(root / "e.png", 64, 64, 1, 2, 3);
    write_all(root / "a.txt", "1girl, solo, long_hair");
    write_all(root / "b.txt", "1girl, long hair, smile\nA smiling girl.");
    write_all(root / "c.txt", "\xEF\xBB\xBF" "2girls, smile\r\nline two");
    write_all(root / "e.txt", "bad \xff\xfe bytes");
    ServeParams p;
    p.poll_seconds = 1;
    p.rescan_seconds = 0;
    srv = std::make_unique<RunningServer>(root, p);
  }
  void TearDown() override { srv.reset(); }

  // GET /api/images until its total is `n` (the server notices folder changes within ~1 s), at most 4 s.
  json images_once_total_is(int n) {
    json list;
    for (int i = 0; i < 40; ++i) {
      list = srv->get("/api/images");
      if (list["total"] == n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return list;
  }

  std::vector<std::string> paths(const json& list) {
    std::vector<std::string> out;
    for (auto& i : list["items"]) out.push_back(i["path"]);
    return out;
  }

  TempDir tmp;
  fs::path root;
  std::unique_ptr<RunningServer> srv;
};

TEST_F(ServerApiTest, SessionDescribesTheDataset) {
  json s = srv->get("/api/session");
  EXPECT_EQ(s["images"], 5);
  EXPECT_EQ(s["captions"], 4);
  EXPECT_EQ(s["name"], "set");
  EXPECT_EQ(s["token"], srv->token());
  EXPECT_EQ(s["token"].get<std::string>().size(), 32u);
  EXPECT_EQ(s["has_scores"], false);
}

TEST_F(ServerApiTest, ListsImagesInNaturalOrderWithCaptions) {
  json list = srv->get("/api/images");
  EXPECT_EQ(list["total"], 5);
  EXPECT_EQ(paths(list), (std::vector<std::string>{"a.png", "b.png", "c.png", "d.png", "e.png"}));
  EXPECT_EQ(list["items"][1]["caption"], "1girl, long hair, smile\nA smiling girl.");
  EXPECT_EQ(list["items"][1]["tags"], json({"1girl", "long hair", "smile"}));
  EXPECT_EQ(list["items"][2]["caption"], "2girls, smile\nline two");  // BOM and CRLF not shown
  EXPECT_EQ(list["items"][3]["has_caption"], false);
  EXPECT_EQ(list["items"][3]["version"], "none");
  EXPECT_NE(list["items"][4]["error"].get<std::string>().find("not valid UTF-8"), std::string::npos);
  json page = srv->get("/api/images?offset=1&limit=2");
  EXPECT_EQ(paths(page), (std::vector<std::string>{"b.png", "c.png"}));
  EXPECT_EQ(page["total"], 5);
  int status = 0;
  srv->get("/api/images?limit=5000", &status);
  EXPECT_EQ(status, 400);
}

TEST_F(ServerApiTest, FiltersWithAndOrNotAndText) {
  // long_hair and "long hair" are the same tag.
  EXPECT_EQ(paths(srv->get("/api/images?all=1girl&all=long%20hair")), (std::vector<std::string>{"a.png", "b.png"}));
  EXPECT_EQ(paths(srv->get("/api/images?all=1girl&none=solo")), (std::vector<std::string>{"b.png"}));
  EXPECT_EQ(paths(srv->get("/api/images?any=solo&any=2girls")), (std::vector<std::string>{"a.png", "c.png"}));
  EXPECT_EQ(paths(srv->get("/api/images?any=smile&none=1girl")), (std::vector<std::string>{"c.png"}));
  EXPECT_EQ(paths(srv->get("/api/images?text=SMILING")), (std::vector<std::string>{"b.png"}));
  EXPECT_EQ(paths(srv->get("/api/images?captioned=no")), (std::vector<std::string>{"d.png"}));
  EXPECT_EQ(srv->get("/api/images?all=nonexistent")["total"], 0);
  json ids = srv->get("/api/images/ids?all=smile");
  EXPECT_EQ(ids["ids"], json({1, 2}));
}

TEST_F(ServerApiTest, ImageDetailFileAndThumbnail) {
  json a = srv->get("/api/image/0");
  EXPECT_EQ(a["path"], "a.png");
  EXPECT_EQ(a["caption_path"], "a.txt");
  EXPECT_EQ(a["lines"], json({"1girl, solo, long_hair"}));
  EXPECT_TRUE(a["scores"].is_null());
  EXPECT_EQ(a["width"], 600);
  EXPECT_EQ(a["height"], 300);
  int status = 0;
  json missing = srv->get("/api/image/99", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(missing["error"]["code"], "not_found");

  auto file = srv->client().Get("/api/image/0/file");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->status, 200);
  EXPECT_EQ(file->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(file->body, read_all(root / "a.png"));

  auto thumb = srv->client().Get("/api/image/0/thumb?size=128");
  ASSERT_TRUE(thumb);
  ASSERT_EQ(thumb->status, 200);
  EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/jpeg");
  write_all(tmp / "t.jpg", thumb->body);
  auto info = probe_image(tmp / "t.jpg");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 128);  // 600x300 → longest side 128
  EXPECT_EQ(info->height, 64);
  size_t cached = 0;
  for (auto& e : fs::directory_iterator(root / ".tagmetry" / "thumbs")) cached += e.path().extension() == ".jpg";
  EXPECT_EQ(cached, 1u);
  auto again = srv->client().Get("/api/image/0/thumb?size=128");
  EXPECT_EQ(again->body, thumb->body);
  srv->get("/api/image/0/thumb?size=100", &status);
  EXPECT_EQ(status, 400);
}

// An image deleted from the folder before the server's rescan noticed: its file and thumbnail answer 404
// (gone), never 403 (which is for symlinks out of the folder).
TEST_F(ServerApiTest, AnImageDeletedBeforeTheRescanIsNotFoundNotForbidden) {
  fs::remove(root / "b.png");
  for (const char* what : {"/file", "/thumb?size=256"}) {
    int status = 0;
    json err = srv->get(std::string("/api/image/1") + what, &status);
    EXPECT_EQ(status, 404) << what << ": " << err.dump();
    EXPECT_NE(err["error"]["message"].get<std::string>().find("b.png"), std::string::npos) << err.dump();
  }
}

TEST_F(ServerApiTest, CorruptImageThumbnailIsAClearError) {
  write_all(root / "d.png", "not a png at all");
  int status = 0;
  json err = srv->get("/api/image/3/thumb", &status);
  EXPECT_EQ(status, 422);
  EXPECT_NE(err["error"]["message"].get<std::string>().find("d.png"), std::string::npos);
}

TEST_F(ServerApiTest, EditWritesTheCaptionAtomicallyAndKeepsTheFileLayout) {
  json c = srv->get("/api/image/2");
  int status = 0;
  json saved = srv->put("/api/image/2/caption", {{"text", "mychar, 2girls, smile\nline two"}, {"version", c["version"]}}, &status);
  ASSERT_EQ(status, 200) << saved.dump();
  EXPECT_EQ(read_all(root / "c.txt"), "\xEF\xBB\xBF" "mychar, 2girls, smile\r\nline two");
  EXPECT_EQ(saved["tags"], json({"mychar", "2girls", "smile"}));
  EXPECT_NE(saved["version"], c["version"]);
  EXPECT_TRUE(saved["operation"].is_number());
  // A caption for an image that had none.
  saved = srv->put("/api/image/3/caption", {{"text", "new, caption"}, {"version", "none"}}, &status);
  ASSERT_EQ(status, 200) << saved.dump();
  EXPECT_EQ(read_all(root / "d.txt"), "new, caption");
  // The list reflects it at once.
  EXPECT_EQ(srv->get("/api/images?all=mychar")["items"][0]["path"], "c.png");
}

TEST_F(ServerApiTest, EditRefusesWhenTheFileChangedMeanwhile) {
  json a = srv->get("/api/image/0");
  write_all(root / "a.txt", "changed by a script");
  int status = 0;
  json r = srv->put("/api/image/0/caption", {{"text", "mine"}, {"version", a["version"]}}, &status);
  EXPECT_EQ(status, 409);
  EXPECT_EQ(r["error"]["code"], "conflict");
  EXPECT_EQ(r["current"]["caption"], "changed by a script");
  EXPECT_EQ(r["yours"], "mine");
  EXPECT_EQ(read_all(root / "a.txt"), "changed by a script");
  // Knowingly overwriting with the current version works.
  r = srv->put("/api/image/0/caption", {{"text", "mine"}, {"version", r["current"]["version"]}}, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(read_all(root / "a.txt"), "mine");
}

TEST_F(ServerApiTest, EditValidatesItsInput) {
  json a = srv->get("/api/image/0");
  int status = 0;
  srv->put("/api/image/0/caption", {{"text", "x"}}, &status);
  EXPECT_EQ(status, 400);  // no version
  auto r = srv->client().Put("/api/image/0/caption", {{"X-Tagmetry-Token", srv->token()}},
                             "{\"text\": \"bad \\udcff\", \"version\": \"" + a["version"].get<std::string>() + "\"}",
                             "application/json");
  EXPECT_EQ(r->status, 400);
  std::string big(1100000, 'x');
  srv->put("/api/image/0/caption", {{"text", big}, {"version", a["version"]}}, &status);
  EXPECT_EQ(status, 413);
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, solo, long_hair");
  std::string huge(9u << 20, 'x');
  auto h = srv->client().Post("/api/batch", {{"X-Tagmetry-Token", srv->token()}}, huge, "application/json");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 413);
}

TEST_F(ServerApiTest, BatchEditsTheTagLineOfFilteredImages) {
  int status = 0;
  json r = srv->post("/api/batch", {{"filter", {{"all", {"1girl"}}}}, {"op", {{"kind", "add"}, {"tags", {"mychar"}}, {"position", "first"}}}}, &status);
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["changed"], 2);
  EXPECT_EQ(r["ids"], json({0, 1}));
  EXPECT_EQ(read_all(root / "a.txt"), "mychar, 1girl, solo, long_hair");
  EXPECT_EQ(read_all(root / "b.txt"), "mychar, 1girl, long hair, smile\nA smiling girl.");
  EXPECT_EQ(read_all(root / "c.txt"), "\xEF\xBB\xBF" "2girls, smile\r\nline two");

  r = srv->post("/api/batch", {{"ids", {0, 1, 2}}, {"op", {{"kind", "replace"}, {"tags", {"smile", "grin"}}}}}, &status);
  EXPECT_EQ(r["changed"], 2);
  EXPECT_EQ(read_all(root / "c.txt"), "\xEF\xBB\xBF" "2girls, grin\r\nline two");
  r = srv->post("/api/batch", {{"ids", {0, 1}}, {"op", {{"kind", "remove"}, {"tags", {"long*"}}, {"match", "glob"}}}}, &status);
  EXPECT_EQ(read_all(root / "a.txt"), "mychar, 1girl, solo");
  EXPECT_EQ(read_all(root / "b.txt"), "mychar, 1girl, grin\nA smiling girl.");
  r = srv->post("/api/batch", {{"ids", {0}}, {"op", {{"kind", "move_first"}, {"tags", {"solo"}}}}}, &status);
  EXPECT_EQ(read_all(root / "a.txt"), "solo, mychar, 1girl");
  r = srv->post("/api/batch", {{"ids", {0}}, {"op", {{"kind", "add"}, {"tags", {"x"}}, {"position", "index"}, {"index", 1}}}}, &status);
  EXPECT_EQ(read_all(root / "a.txt"), "solo, x, mychar, 1girl");
  // The non-UTF-8 caption is skipped and named; bad requests are 400 and write nothing.
  r = srv->post("/api/batch", {{"ids", {4}}, {"op", {{"kind", "add"}, {"tags", {"y"}}}}}, &status);
  EXPECT_EQ(r["changed"], 0);
  ASSERT_EQ(r["skipped"].size(), 1u);
  EXPECT_EQ(r["skipped"][0]["file"], "e.txt");  // the keys of `edit --json`
  EXPECT_NE(r["skipped"][0]["error"].get<std::string>().find("e.txt"), std::string::npos);
  EXPECT_EQ(r["skipped_ids"], json({4}));
  srv->post("/api/batch", {{"ids", {0}}, {"op", {{"kind", "explode"}}}}, &status);
  EXPECT_EQ(status, 400);
  srv->post("/api/batch", {{"ids", {0}}, {"op", {{"kind", "remove"}, {"tags", {"("}}, {"match", "regex"}}}}, &status);
  EXPECT_EQ(status, 400);
  srv->post("/api/batch", {{"ids", {77}}, {"op", {{"kind", "add"}, {"tags", {"y"}}}}}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(read_all(root / "a.txt"), "solo, x, mychar, 1girl");
}

TEST_F(ServerApiTest, UndoAndRedoGoThroughTheJournal) {
  int status = 0;
  json a = srv->get("/api/image/0");
  srv->put("/api/image/0/caption", {{"text", "edited"}, {"version", a["version"]}}, &status);
  srv->post("/api/batch", {{"ids", {0, 1}}, {"op", {{"kind", "add"}, {"tags", {"t"}}, {"position", "first"}}}}, &status);
  EXPECT_EQ(read_all(root / "a.txt"), "t, edited");
  json h = srv->get("/api/history");
  EXPECT_EQ(h["can_undo"], true);
  EXPECT_EQ(h["can_redo"], false);
  EXPECT_EQ(h["operations"][0]["command"], "serve:batch");

  json u = srv->post("/api/undo", json::object(), &status);
  ASSERT_EQ(status, 200) << u.dump();
  EXPECT_EQ(u["reverted"], json({"a.txt", "b.txt"}));  // the keys of `undo --json`
  EXPECT_EQ(u["reverted_ids"], json({0, 1}));
  EXPECT_EQ(u["operation"], h["operations"][0]["id"]);
  EXPECT_EQ(u["refused"], false);
  EXPECT_EQ(read_all(root / "a.txt"), "edited");
  EXPECT_EQ(read_all(root / "b.txt"), "1girl, long hair, smile\nA smiling girl.");
  srv->post("/api/undo", json::object(), &status);
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, solo, long_hair");
  EXPECT_EQ(srv->get("/api/history")["can_redo"], true);

  srv->post("/api/redo", json::object(), &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(read_all(root / "a.txt"), "edited");
  srv->post("/api/redo", json::object(), &status);
  EXPECT_EQ(read_all(root / "a.txt"), "t, edited");
  json none = srv->post("/api/redo", json::object(), &status);
  EXPECT_EQ(status, 404);
  // The index follows: the list shows the file's text.
  EXPECT_EQ(srv->get("/api/image/0")["caption"], "t, edited");
  // A new edit after an undo clears the redo list.
  srv->post("/api/undo", json::object(), &status);
  json b = srv->get("/api/image/1");
  srv->put("/api/image/1/caption", {{"text", "fresh"}, {"version", b["version"]}}, &status);
  EXPECT_EQ(srv->get("/api/history")["can_redo"], false);
}

TEST_F(ServerApiTest, UndoRefusesToClobberAFileChangedSince) {
  int status = 0;
  json a = srv->get("/api/image/0");
  srv->put("/api/image/0/caption", {{"text", "edited"}, {"version", a["version"]}}, &status);
  write_all(root / "a.txt", "hand edit");
  json r = srv->post("/api/undo", json::object(), &status);
  EXPECT_EQ(status, 409);
  EXPECT_EQ(r["changed"], json({"a.txt"}));
  EXPECT_EQ(r["changed_ids"], json({0}));
  EXPECT_EQ(r["refused"], true);
  EXPECT_EQ(read_all(root / "a.txt"), "hand edit");
}

TEST_F(ServerApiTest, NoticesCaptionsChangedOnDisk) {
  uint64_t gen = srv->get("/api/session")["generation"];
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_all(root / "b.txt", "outside, change");
  json changes;
  for (int i = 0; i < 40; ++i) {
    changes = srv->get("/api/changes?since=" + std::to_string(gen));
    if (!changes["ids"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(changes["ids"], json({1}));
  EXPECT_EQ(srv->get("/api/image/1")["tags"], json({"outside", "change"}));
}

TEST_F(ServerApiTest, ImagesAddedWhileRunningAppearAtTheEnd) {
  uint64_t gen = srv->get("/api/session")["generation"];
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_png(root / "aa.png", 16, 16, 5, 5, 5);  // sorts before b.png, but ids stay stable: appended
  write_all(root / "aa.txt", "new, image");
  json list = images_once_total_is(6);
  ASSERT_EQ(list["total"], 6);
  EXPECT_EQ(list["items"][5]["path"], "aa.png");
  EXPECT_EQ(list["items"][5]["id"], 5);
  EXPECT_EQ(list["items"][1]["path"], "b.png");
  EXPECT_EQ(srv->get("/api/changes?since=" + std::to_string(gen))["ids"], json({5}));
  EXPECT_EQ(srv->get("/api/images?all=new")["items"][0]["path"], "aa.png");
}

// An image deleted while the server runs leaves the gallery, the counts and the tag list (its id stays
// reserved and says what happened); put back, it returns under the same id.
TEST_F(ServerApiTest, ImagesRemovedWhileRunningLeaveAndComeBack) {
  uint64_t gen = srv->get("/api/session")["generation"];
  auto hair = [&] { return srv->get("/api/tags?search=hair")["tags"][0]["count"]; };
  ASSERT_EQ(hair(), 2);  // a.png and b.png
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fs::path moved = tmp / "b.png";
  fs::rename(root / "b.png", moved);  // b.txt stays behind
  json list = images_once_total_is(4);
  ASSERT_EQ(list["total"], 4);
  EXPECT_EQ(paths(list), (std::vector<std::string>{"a.png", "c.png", "d.png", "e.png"}));
  EXPECT_EQ(srv->get("/api/session")["images"], 4);
  EXPECT_EQ(srv->get("/api/session")["captions"], 3);
  EXPECT_EQ(hair(), 1);
  EXPECT_EQ(srv->get("/api/changes?since=" + std::to_string(gen))["ids"], json({1}));
  int status = 0;
  json gone = srv->get("/api/image/1", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(gone["error"]["message"], "image 1 (b.png) was removed from the folder");
  json put = srv->put("/api/image/1/caption", {{"text", "x"}, {"version", "none"}}, &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(read_all(root / "b.txt"), "1girl, long hair, smile\nA smiling girl.");
  srv->get("/api/image/9", &status);
  EXPECT_EQ(status, 404);

  fs::rename(moved, root / "b.png");
  list = images_once_total_is(5);
  ASSERT_EQ(list["total"], 5);
  EXPECT_EQ(list["items"][1]["path"], "b.png");
  EXPECT_EQ(list["items"][1]["id"], 1);
  EXPECT_EQ(srv->get("/api/image/1")["tags"], json({"1girl", "long hair", "smile"}));
  EXPECT_EQ(hair(), 2);
}

TEST_F(ServerApiTest, TagCountsSearchAndAutocomplete) {
  json tags = srv->get("/api/tags");
  ASSERT_GE(tags["tags"].size(), 4u);
  EXPECT_EQ(tags["tags"][0]["tag"], "1girl");  // 2 images
  EXPECT_EQ(tags["tags"][0]["count"], 2);
  json hair = srv->get("/api/tags?search=hair");
  ASSERT_EQ(hair["tags"].size(), 1u);
  EXPECT_EQ(hair["tags"][0]["count"], 2);  // long_hair + long hair
  json ja = srv->get("/api/tags?search=%E7%AC%91");  // 笑 (smile's Japanese contains it)
  ASSERT_FALSE(ja["tags"].empty());
  EXPECT_EQ(ja["tags"][0]["tag"], "smile");
  json by_name = srv->get("/api/tags?sort=name");
  EXPECT_EQ(by_name["tags"][0]["tag"], "1girl");
  EXPECT_EQ(by_name["tags"][1]["tag"], "2girls");

  json v = srv->get("/api/vocab?q=long_ha&limit=3");
  ASSERT_FALSE(v["tags"].empty());
  EXPECT_EQ(v["tags"][0]["tag"], "long_hair");
  EXPECT_GT(v["tags"][0]["count"].get<int64_t>(), 1000000);
  EXPECT_EQ(v["tags"][0]["in_dataset"], 2);
  EXPECT_FALSE(v["tags"][0]["ja"].get<std::string>().empty());
  json alias = srv->get("/api/vocab?q=longhair");
  ASSERT_FALSE(alias["tags"].empty());
  EXPECT_EQ(alias["tags"][0]["tag"], "long_hair");
}

TEST_F(ServerApiTest, StatsLintPreviewAndJapanese) {
  json st = srv->get("/api/stats");
  EXPECT_EQ(st["images"], 5);
  json lint = srv->get("/api/lint?trigger=mychar");
  bool missing_caption = false;
  for (auto& f : lint["findings"])
    if (f["rule"] == "missing-caption") {
      missing_caption = true;
      EXPECT_EQ(f["ids"], json({3}));
    }
  EXPECT_TRUE(missing_caption) << lint.dump();

  int status = 0;
  json body{{"ids", {1}}, {"epochs", 2}, {"seeds", {7}},
            {"settings", {{"shuffle_caption", false}, {"keep_tokens", 0}, {"caption_tag_dropout_rate", 0}, {"enable_wildcard", false}}}};
  json pv = srv->post("/api/preview", body, &status);
  ASSERT_EQ(status, 200) << pv.dump();
  ASSERT_EQ(pv["images"][0]["samples"].size(), 2u);
  json sample = pv["images"][0]["samples"][0];
  EXPECT_EQ(sample["caption"], "1girl, long hair, smile");  // first line, no shuffle
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(sample["tokens"], tok->count("1girl, long hair, smile"));
  EXPECT_EQ(sample["tags"].back()["end_token"], sample["tokens"]);
  // Same seed, same draws.
  body["settings"]["shuffle_caption"] = true;
  json p1 = srv->post("/api/preview", body, &status), p2 = srv->post("/api/preview", body, &status);
  EXPECT_EQ(p1, p2);
  srv->post("/api/preview", {{"ids", {1}}, {"config", "../outside.toml"}}, &status);
  EXPECT_EQ(status, 404);
  srv->post("/api/preview", {{"ids", {1}}, {"settings", {{"bogus", 1}}}}, &status);
  EXPECT_EQ(status, 400);

  json jt = srv->post("/api/ja2tags", {{"text", "青い髪の女の子"}}, &status);
  ASSERT_EQ(status, 200) << jt.dump();
  EXPECT_EQ(jt["tags"][0]["tag"], "1girl");
  EXPECT_EQ(jt["tags"][1]["tag"], "blue_hair");
  EXPECT_EQ(jt["tags"][1]["from"], json({"青い", "髪"}));
  EXPECT_GT(jt["tags"][1]["count"].get<int64_t>(), 100000);  // the server's addition: post counts
  // The keys of `ja2tags --json`.
  CommandResult cli = run_cli({"ja2tags", "--json", "青い髪の女の子"});
  json cli_json = json::parse(cli.out, nullptr, false);
  for (auto& t : jt["tags"]) t.erase("count");
  EXPECT_EQ(jt, cli_json) << cli.out << cli.err;
}

TEST_F(ServerApiTest, RepliesAreNotCompressed) {
  // Compression on a local connection costs more than it saves (Brotli: hundreds of ms per page).
  auto r = srv->client().Get("/api/images", {{"Accept-Encoding", "br, gzip, deflate"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "");
  EXPECT_EQ(json::parse(r->body)["total"], 5);
}

TEST_F(ServerApiTest, StateChangesNeedTheToken) {
  int status = 0;
  json a = srv->get("/api/image/0");
  std::string wrong = "0123";
  json r = srv->put("/api/image/0/caption", {{"text", "x"}, {"version", a["version"]}}, &status, &wrong);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(r["error"]["code"], "csrf");
  auto none = srv->client().Post("/api/undo", "{}", "application/json");
  EXPECT_EQ(none->status, 403);
  EXPECT_EQ(read_all(root / "a.txt"), "1girl, solo, long_hair");
}

TEST_F(ServerApiTest, RefusesOtherHostsAndPathsOutsideTheFolders) {
  auto evil = srv->client().Get("/api/session", {{"Host", "evil.example:" + std::to_string(srv->server().port())}});
  EXPECT_EQ(evil->status, 403);
  EXPECT_EQ(json::parse(evil->body)["error"]["code"], "host");
  EXPECT_EQ(evil->body.find("token"), std::string::npos);
  auto local = srv->client().Get("/api/session", {{"Host", "localhost:" + std::to_string(srv->server().port())}});
  EXPECT_EQ(local->status, 200);

  for (std::string path : {"/../a.txt", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2fa.txt", "/%252e%252e/x", "/a\\..\\b"}) {
    auto r = srv->client().Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 403) << path;
    EXPECT_EQ(r->body.find("1girl"), std::string::npos) << path;
  }
  auto api404 = srv->client().Get("/api/nothing");
  EXPECT_EQ(api404->status, 404);
  EXPECT_EQ(json::parse(api404->body)["error"]["code"], "not_found");
}

TEST_F(ServerApiTest, SymlinksLeadingOutOfTheDatasetAreNotServed) {
  TempDir outside;
  write_png(outside / "secret.png", 8, 8, 1, 1, 1);
  srv.reset();
  fs::create_symlink(outside / "secret.png", root / "f.png");
  srv = std::make_unique<RunningServer>(root);
  // The scan lists the link (it is an image name in the folder), but its target is never served.
  json f = srv->get("/api/images");
  int listed = 0;
  for (auto& item : f["items"]) {
    if (fs::path(item["path"].get<std::string>()).filename() != "f.png") continue;  // "path" is absolute
    ++listed;
    std::string id = std::to_string(item["id"].get<int>());
    auto file = srv->client().Get("/api/image/" + id + "/file");
    EXPECT_EQ(file->status, 403);
    EXPECT_EQ(file->body.find("PNG"), std::string::npos);
    auto thumb = srv->client().Get("/api/image/" + id + "/thumb");
    EXPECT_EQ(thumb->status, 403);
  }
  EXPECT_EQ(listed, 1) << f.dump();
  // A link that stays inside the folder is fine.
  srv.reset();
  fs::remove(root / "f.png");
  fs::create_symlink(root / "a.png", root / "g.png");
  srv = std::make_unique<RunningServer>(root);
  // The link is listed under the name it resolves to (a.png), beside a.png itself; both are served.
  int served = 0;
  json listing = srv->get("/api/images");
  for (auto& item : listing["items"]) {
    if (fs::path(item["path"].get<std::string>()).filename() != "a.png") continue;
    auto file = srv->client().Get("/api/image/" + std::to_string(item["id"].get<int>()) + "/file");
    EXPECT_EQ(file->status, 200);
    served += file->status == 200;
  }
  EXPECT_EQ(served, 2) << listing.dump();
}

TEST(ServerStatic, ServesTheFrontEndFolderOnly) {
  TempDir tmp;
  fs::create_directories(tmp / "set");
  fs::create_directories(tmp / "web" / "assets");
  write_all(tmp / "web" / "index.html", "<!doctype html><title>app</title>");
  write_all(tmp / "web" / "assets" / "app-1234.js", "console.log(1)");
  write_all(tmp / "secret.txt", "secret");
  fs::create_symlink(tmp / "secret.txt", tmp / "web" / "link.txt");
  ServeParams p;
  p.web_root = (tmp / "web").string();
  RunningServer srv(tmp / "set", p);
  auto index = srv.client().Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<!doctype html><title>app</title>");
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  auto js = srv.client().Get("/assets/app-1234.js");
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js->get_header_value("Cache-Control").find("immutable"), std::string::npos);
  auto route = srv.client().Get("/stats");  // a client-side route
  EXPECT_EQ(route->body, index->body);
  auto link = srv.client().Get("/link.txt");
  EXPECT_EQ(link->status, 403);
  EXPECT_EQ(link->body.find("secret"), std::string::npos);
  auto up = srv.client().Get("/%2e%2e/secret.txt");
  EXPECT_EQ(up->status, 403);
}

TEST(ServerCreate, ErrorsForAMissingFolder) {
  auto s = Server::create("/nonexistent/folder", ServeParams{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(s.status().message().find("/nonexistent/folder"), std::string::npos);
}

TEST_F(ServerApiTest, BucketsWithGalleryIds) {
  // a.png 600x300 (ar 2) at 512: nearest buckets 704x320 (ar 2.2, error .2) and 640x384 (1.667) →
  // 704x320; 2 < 2.2 → scale 704 / 600, resized (704, int(352.5) = 352), 16 rows cut top and bottom.
  json b = srv->get("/api/buckets?resolution=512");
  ASSERT_EQ(b["images"].size(), 5u) << b.dump();
  EXPECT_EQ(b["images"][0]["file"], "a.png");
  EXPECT_EQ(b["images"][0]["id"], 0);
  EXPECT_EQ(b["images"][0]["bucket"], json({704, 320}));
  EXPECT_EQ(b["images"][0]["crop_ltrb"], json({0, 16, 704, 336}));
  int status = 0;
  json bad = srv->get("/api/buckets?resolution=abc", &status);
  EXPECT_EQ(status, 400) << bad.dump();
  srv->get("/api/buckets?nope=1", &status);
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace tagmetry::testing
