#pragma once
// Shared, lazily built ja2tags matcher over the shipped data (built once per test binary).

#include <gtest/gtest.h>

#include <memory>

#include "tagmetry/ja_dictionary.h"
#include "tagmetry/ja_to_tags.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::testing {

struct JaWorld {
  TagDatabase db;
  JaDictionary dict;
  std::unique_ptr<JaToTags> matcher;
  std::string error;  // why there is no matcher (e.g. no MeCab dictionary)
};

inline JaWorld& ja_world() {
  static JaWorld* world = [] {
    auto* w = new JaWorld();
    auto db = TagDatabase::load_default();
    auto dict = JaDictionary::load_default();
    if (!db.ok() || !dict.ok()) {
      w->error = db.ok() ? dict.status().message() : db.status().message();
      return w;
    }
    w->db = std::move(db).value();
    w->dict = std::move(dict).value();
    auto m = JaToTags::create(w->db, w->dict);
    if (m.ok()) w->matcher = std::move(m).value();
    else w->error = m.status().message();
    return w;
  }();
  return *world;
}

// Skips the test (with the reason) when the MeCab dictionary is not installed.
#define TM_REQUIRE_JA_MATCHER()                                                  \
  do {                                                                           \
    if (!::tagmetry::testing::ja_world().matcher)                                \
      GTEST_SKIP() << "ja2tags unavailable: " << ::tagmetry::testing::ja_world().error; \
  } while (0)

}  // namespace tagmetry::testing
