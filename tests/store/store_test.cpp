// The scores database on its own: score precision, schema migration, clear errors for bad or locked
// files, the journal's crash recovery, merge and shard assignment.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <random>

#include "tagmetry/caption_journal.h"
#include "tagmetry/store.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;

using testing::take;
using testing::read_all;
using testing::TempDir;
using testing::write_all;

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
}

TEST(ScoreCodec, SixteenBitFixedPointWithinHalfAStep) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> p(10000);
  for (auto& v : p) v = u(rng);
  p[0] = 0.f, p[1] = 1.f, p[2] = -0.5f, p[3] = 1.5f;
  std::string blob = encode_scores(p);
  ASSERT_EQ(blob.size(), p.size() * 2);
  auto back = decode_scores(blob, p.size());
  ASSERT_EQ(back.size(), p.size());
  for (size_t i = 4; i < p.size(); ++i) EXPECT_NEAR(back[i], p[i], 0.5 / 65535 + 1e-7) << i;
  EXPECT_EQ(back[0], 0.f);
  EXPECT_EQ(back[1], 1.f);
  EXPECT_EQ(back[2], 0.f);  // clamped
  EXPECT_EQ(back[3], 1.f);
  // Quantizing twice changes nothing: tag (which selects from quantized values) and retag agree.
  EXPECT_EQ(encode_scores(back), blob);
  EXPECT_TRUE(decode_scores(blob, p.size() + 1).empty());
}

TEST(Shards, AssignmentIsByHashPrefixAndParsed) {
  EXPECT_EQ(shard_of("00000000ffff", 4), 0);
  EXPECT_EQ(shard_of("0000000aff", 4), 2);
  EXPECT_EQ(shard_of("ffffffff", 1), 0);
  auto ok = parse_shard("2/5");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->first, 2);
  EXPECT_EQ(ok->second, 5);
  for (auto* bad : {"5/5", "1", "a/2", "-1/2", "1/0", "/3"}) {
    auto r = parse_shard(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("expected i/N"), std::string::npos);
  }
}

TEST(Store, NewDatabaseIsWalAndCurrent) {
  TempDir d;
  auto store = Store::open(default_store_path(d.path()));
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ((*store)->opened_version(), kStoreSchemaVersion);
  EXPECT_TRUE(fs::exists(d / ".tagmetry/tagmetry.db"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((d / ".tagmetry/tagmetry.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(Store, ModelsImagesAndScoresRoundTrip) {
  TempDir d;
  auto store = take(Store::open(d / "t.db"));
  ModelRecord m;
  m.name = "wd";
  m.sha256 = std::string(64, 'a');
  m.labels_sha256 = std::string(64, 'b');
  m.labels.format = "selected_tags.csv";
  m.labels.labels = {{"general", TagCategory::kRating, 0}, {"long_hair", TagCategory::kGeneral, 0},
                     {"hatsune_miku", TagCategory::kCharacter, 0}};
  ASSERT_TRUE(store->put_model(m).ok());
  EXPECT_GT(m.id, 0);
  ASSERT_TRUE(store->put_scores("abc", m.id, {0.1f, 0.5f, 0.9f}).ok());
  ASSERT_TRUE(store->put_image({"a.png", "abc", 10, 20, 64, 32}).ok());
  auto found = store->find_model("wd");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->labels.size(), 3u);
  EXPECT_EQ((*found)->labels.labels[2].category, TagCategory::kCharacter);
  EXPECT_EQ((*found)->labels.labels[1].name, "long_hair");
  EXPECT_TRUE(store->find_model("aaaaaaaa")->has_value());  // sha256 prefix
  EXPECT_FALSE(store->find_model("joytag")->has_value());
  auto scores = store->get_scores("abc", m.id, 3);
  ASSERT_TRUE(scores.ok());
  EXPECT_EQ(*scores, decode_scores(encode_scores({0.1f, 0.5f, 0.9f}), 3));
  EXPECT_EQ(store->size_of("abc")->first, 64);
  EXPECT_EQ(store->images()->at("a.png").mtime_ns, 20);
}

// A database written by schema version 1 (DESIGN.md's first layout), as an older Tagmetry left it.
TEST(Store, MigratesAnOlderSchemaVersion) {
  TempDir d;
  fs::path path = d / "old.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  exec(db, R"sql(
CREATE TABLE images(relpath TEXT PRIMARY KEY, sha256 TEXT NOT NULL, width INTEGER, height INTEGER, mtime INTEGER);
CREATE TABLE models(id INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, labels_sha256 TEXT NOT NULL,
                    UNIQUE(sha256, labels_sha256));
CREATE TABLE scores(sha256 TEXT NOT NULL, model_id INTEGER NOT NULL, blob BLOB NOT NULL, created INTEGER NOT NULL,
                    PRIMARY KEY(sha256, model_id)) WITHOUT ROWID;
CREATE TABLE journal(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, relpath TEXT NOT NULL, before TEXT, after TEXT,
                     source TEXT NOT NULL);
INSERT INTO images VALUES('a.png', 'abc', 64, 32, 1700000000);
INSERT INTO models VALUES(1, 'wd-vit-v3', 'aaaa', 'bbbb');
INSERT INTO scores VALUES('abc', 1, x'ffff0000', 1700000000);
INSERT INTO journal VALUES(1, 1700000000, 'a.txt', NULL, 'long_hair', 'tag');
INSERT INTO journal VALUES(2, 1700000001, 'b.txt', 'old', 'new', 'tag');
PRAGMA user_version=1;
)sql");
  sqlite3_close(db);

  auto store = Store::open(path, /*create=*/false);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ((*store)->opened_version(), 1);
  auto images = (*store)->images();
  ASSERT_TRUE(images.ok());
  EXPECT_EQ(images->at("a.png").sha256, "abc");
  EXPECT_EQ(images->at("a.png").size, -1);  // unknown: the file is hashed again once
  auto model = (*store)->find_model("wd-vit-v3");
  ASSERT_TRUE(model.ok() && model->has_value());
  EXPECT_EQ((*model)->labels.size(), 0u);  // version 1 did not store labels
  auto scores = (*store)->get_scores("abc", (*model)->id, 2);
  ASSERT_TRUE(scores.ok());
  EXPECT_EQ(*scores, (std::vector<float>{1.f, 0.f}));
  auto journal = CaptionJournal::open(**store, d.path());
  ASSERT_TRUE(journal.ok());
  auto ops = journal->operations();
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0].command, "tag");
  EXPECT_EQ((*ops)[0].files, 2);
  EXPECT_EQ(journal->last_written()->at("b.txt").after, "new");
  store->reset();
  // Opening again finds the current version.
  EXPECT_EQ((*Store::open(path, false))->opened_version(), kStoreSchemaVersion);
  // The pending-rows index of version 3 exists, and the journal's recovery query uses it.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* plan = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "EXPLAIN QUERY PLAN SELECT id, relpath, after FROM journal WHERE state='pending'", -1,
                               &plan, nullptr), SQLITE_OK);
  std::string detail;
  while (sqlite3_step(plan) == SQLITE_ROW) detail += reinterpret_cast<const char*>(sqlite3_column_text(plan, 3));
  sqlite3_finalize(plan);
  sqlite3_close(raw);
  EXPECT_NE(detail.find("journal_pending"), std::string::npos) << detail;
}

TEST(Store, NewerSchemaIsRefused) {
  TempDir d;
  { ASSERT_TRUE(Store::open(d / "t.db").ok()); }
  sqlite3* db = nullptr;
  sqlite3_open((d / "t.db").c_str(), &db);
  exec(db, "PRAGMA user_version=99");
  sqlite3_close(db);
  auto r = Store::open(d / "t.db");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("written by a newer Tagmetry (schema version 99"), std::string::npos)
      << r.status().message();
}

TEST(Store, CorruptAndForeignFilesGiveClearErrors) {
  TempDir d;
  write_all(d / "garbage.db", std::string(8192, 'x'));
  auto r = Store::open(d / "garbage.db");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(r.status().message().find("garbage.db: not a Tagmetry database or damaged"), std::string::npos)
      << r.status().message();

  sqlite3* db = nullptr;
  sqlite3_open((d / "other.db").c_str(), &db);
  exec(db, "CREATE TABLE x(a)");
  sqlite3_close(db);
  auto other = Store::open(d / "other.db");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("other.db: an SQLite database, but not a Tagmetry one"), std::string::npos);

  auto missing = Store::open(d / "none.db", /*create=*/false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

TEST(Store, LockedDatabaseSaysSo) {
  TempDir d;
  auto store = take(Store::open(d / "t.db"));
  sqlite3* other = nullptr;
  sqlite3_open((d / "t.db").c_str(), &other);
  exec(other, "BEGIN EXCLUSIVE");
  setenv("TAGMETRY_DB_TIMEOUT_MS", "100", 1);
  auto second = Store::open(d / "t.db");
  unsetenv("TAGMETRY_DB_TIMEOUT_MS");
  Status s = second.ok() ? (*second)->put_image({"a.png", "abc", 1, 2, 0, 0}) : second.status();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.db: the database is locked by another process"), std::string::npos) << s.message();
  EXPECT_EQ(s.code(), ErrorCode::kBusy);
  exec(other, "ROLLBACK");
  sqlite3_close(other);

  auto lock = DatasetLock::acquire(d / "t.db");
  ASSERT_TRUE(lock.ok());
  auto again = DatasetLock::acquire(d / "t.db");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kBusy);
  EXPECT_NE(again.status().message().find("in use by another tagmetry run (pid " + std::to_string(getpid()) + ")"),
            std::string::npos)
      << again.status().message();
}

TEST(Journal, PendingWritesAreSettledFromTheFiles) {
  TempDir d;
  auto store = take(Store::open(d / "t.db"));
  {
    auto j = take(CaptionJournal::open(*store, d.path()));
    j.begin_operation("tag", "tagmetry tag");
    auto r = j.apply({{"a.txt", std::nullopt, "tag_a", false, std::nullopt, {}}});
    ASSERT_TRUE(r.ok());
  }
  // Simulate a crash after the pending rows were committed: one rename happened, one did not.
  sqlite3* db = nullptr;
  sqlite3_open((d / "t.db").c_str(), &db);
  exec(db, "INSERT INTO journal(time, relpath, before, after, source, operation_id, state) "
           "VALUES(1, 'b.txt', NULL, 'written', 'tag', 1, 'pending'), (1, 'c.txt', NULL, 'never', 'tag', 1, 'pending')");
  sqlite3_close(db);
  write_all(d / "b.txt", "written");
  write_all(d / "b.txt.tmp-tagmetry-1-2-3", "half");
  auto j = take(CaptionJournal::open(*store, d.path()));
  auto last = *j.last_written();
  EXPECT_EQ(last.at("a.txt").after, "tag_a");
  EXPECT_EQ(last.at("b.txt").after, "written");
  EXPECT_EQ(last.count("c.txt"), 0u);
  EXPECT_FALSE(fs::exists(d / "b.txt.tmp-tagmetry-1-2-3"));
  EXPECT_EQ(j.entries(1)->size(), 2u);
}

TEST(Journal, UndoRestoresAndRefusesHandEdits) {
  TempDir d;
  auto store = take(Store::open(d / "t.db"));
  auto j = take(CaptionJournal::open(*store, d.path()));
  write_all(d / "b.txt", "mine");
  j.begin_operation("tag", "tagmetry tag --overwrite");
  ASSERT_TRUE(j.apply({{"a.txt", std::nullopt, "x", false, std::nullopt, {}}, {"b.txt", "mine", "y", false, std::nullopt, {}}}).ok());
  write_all(d / "b.txt", "edited by hand");
  auto refused = undo_last_operation(j, {}, "undo");
  ASSERT_TRUE(refused.ok());
  EXPECT_TRUE(refused->refused);
  EXPECT_EQ(refused->changed, std::vector<std::string>{"b.txt"});
  EXPECT_EQ(read_all(d / "a.txt"), "x");
  write_all(d / "b.txt", "y");
  auto done = undo_last_operation(j, {}, "undo");
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->refused);
  EXPECT_FALSE(fs::exists(d / "a.txt"));
  EXPECT_EQ(read_all(d / "b.txt"), "mine");
  auto nothing = undo_last_operation(j, {}, "undo");
  EXPECT_EQ(nothing->operation_id, 0);
}

// undo --prune: old operations lose their undo history, but each caption's last write (what retag compares
// the file with) survives, and undo stops at the pruned operations instead of reverting half of one.
TEST(Journal, PruneKeepsTheNewestOperationsAndEachCaptionsLastWrite) {
  TempDir d;
  auto store = take(Store::open(d / "t.db"));
  auto j = take(CaptionJournal::open(*store, d.path()));
  auto write = [&](const char* command, std::vector<std::pair<std::string, std::string>> files) {
    j.begin_operation(command, std::string("tagmetry ") + command);
    std::vector<CaptionWrite> writes;
    for (auto& [file, text] : files)
      writes.push_back({file, take(read_caption_if_exists(d / file)), text, false, std::nullopt, {}});
    ASSERT_TRUE(j.apply(writes).ok());
  };
  write("tag", {{"a.txt", "x1"}, {"b.txt", "y1"}, {"d.txt", "w1"}});  // #1
  write("retag", {{"a.txt", "x2"}});                                 // #2
  write("retag", {{"a.txt", "x3"}, {"b.txt", "y3"}});                // #3
  write("tag", {{"c.txt", "z"}});                                    // #4
  auto last_before = take(j.last_written());

  auto report = take(j.prune(2));
  EXPECT_EQ(report.operations_pruned, 2);
  EXPECT_EQ(report.rows_deleted, 3);  // a.txt's x1 and x2, b.txt's y1
  EXPECT_EQ(report.rows_kept, 1);     // d.txt was last written by #1
  EXPECT_GT(report.bytes_after, 0);
  auto last = take(j.last_written());
  ASSERT_EQ(last.size(), last_before.size());
  for (auto& [file, w] : last_before) EXPECT_EQ(last.at(file).after, w.after) << file;
  auto kept = take(j.entries(1));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].relpath, "d.txt");
  EXPECT_EQ(kept[0].before, std::nullopt);
  auto ops = take(j.operations());
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_FALSE(ops[0].pruned);
  EXPECT_FALSE(ops[1].pruned);
  EXPECT_TRUE(ops[2].pruned);
  EXPECT_TRUE(ops[3].pruned);
  EXPECT_EQ(ops[2].files, 0);

  // The two kept operations still undo exactly; then undo stops and says why.
  EXPECT_EQ(take(undo_last_operation(j, {}, "undo")).operation_id, 4);
  EXPECT_FALSE(fs::exists(d / "c.txt"));
  EXPECT_EQ(take(undo_last_operation(j, {}, "undo")).operation_id, 3);
  EXPECT_EQ(read_all(d / "a.txt"), "x2");
  EXPECT_EQ(read_all(d / "b.txt"), "y1");
  auto stop = take(undo_last_operation(j, {}, "undo"));
  EXPECT_EQ(stop.operation_id, 0);
  EXPECT_TRUE(stop.history_pruned);
  EXPECT_EQ(read_all(d / "a.txt"), "x2");

  // Pruning everything leaves nothing to undo or redo; a second prune finds nothing more to drop.
  auto all = take(j.prune(0));
  EXPECT_EQ(all.operations_pruned, 4);  // #3, #4 and the two undos
  EXPECT_TRUE(take(undo_last_operation(j, {}, "undo")).history_pruned);
  EXPECT_FALSE(take(redo_candidate(j)).has_value());
  auto again = take(j.prune(0));
  EXPECT_EQ(again.operations_pruned, 0);
  EXPECT_EQ(again.rows_deleted, 0);
  EXPECT_EQ(take(j.last_written()).at("a.txt").after, "x2");
}

TEST(Store, MergeJoinsShardDatabases) {
  TempDir d;
  ModelRecord m;
  m.name = "wd";
  m.sha256 = std::string(64, 'a');
  m.labels_sha256 = std::string(64, 'b');
  m.labels.labels = {{"x", TagCategory::kGeneral, 0}};
  for (int i = 0; i < 2; ++i) {
    auto s = take(Store::open(d / ("s" + std::to_string(i) + ".db")));
    if (i == 1) {  // a different model first, so model ids differ between shards
      ModelRecord other = m;
      other.sha256 = std::string(64, 'c');
      other.name = "other";
      ASSERT_TRUE(s->put_model(other).ok());
    }
    ModelRecord mine = m;
    ASSERT_TRUE(s->put_model(mine).ok());
    std::string sha = "sha" + std::to_string(i);
    ASSERT_TRUE(s->put_scores(sha, mine.id, {0.25f * (i + 1)}).ok());
    ASSERT_TRUE(s->put_image({"img" + std::to_string(i) + ".png", sha, 1, 1, 8, 8}).ok());
    auto j = take(CaptionJournal::open(*s, d.path()));
    j.begin_operation("tag", "shard " + std::to_string(i));
    ASSERT_TRUE(j.apply({{"img" + std::to_string(i) + ".txt", std::nullopt, "x", false, std::nullopt, {}}}).ok());
  }
  auto out = take(Store::open(d / "out.db"));
  ASSERT_TRUE(out->merge_from(d / "s0.db").ok());
  ASSERT_TRUE(out->merge_from(d / "s1.db").ok());
  auto model = *out->find_model("wd");
  ASSERT_TRUE(model.has_value());
  auto blobs = *out->score_blobs(model->id);
  ASSERT_EQ(blobs.size(), 2u);
  EXPECT_EQ(blobs["sha0"], encode_scores({0.25f}));
  EXPECT_EQ(blobs["sha1"], encode_scores({0.5f}));
  EXPECT_EQ(out->images()->size(), 2u);
  auto j = take(CaptionJournal::open(*out, d.path()));
  EXPECT_EQ(j.operations()->size(), 2u);
  EXPECT_EQ(j.last_written()->size(), 2u);
  auto bad = out->merge_from(d / "missing.db");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace tagmetry
