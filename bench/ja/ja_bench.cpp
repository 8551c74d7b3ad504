// ja_bench: load time of the tag database, dictionary and ja2tags matcher, and time per request.
//   build/bin/... ja_bench [REQUESTS.tsv] [ROUNDS]
// Prints one line per measurement; docs/ja2tags.md holds the latest figures.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tagmetry/ja_dictionary.h"
#include "tagmetry/ja_to_tags.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

using namespace tagmetry;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : TAGMETRY_JA_REQUESTS;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> requests;
  for (auto& line : split(ss.str(), "\n")) {
    if (line.empty() || line[0] == '#') continue;
    requests.push_back(split(line, "\t")[0]);
  }
  if (requests.empty()) {
    std::fprintf(stderr, "ja_bench: no requests in %s\n", path.c_str());
    return 2;
  }

  auto t0 = Clock::now();
  auto db = TagDatabase::load_default();
  double db_ms = ms_since(t0);
  auto t1 = Clock::now();
  auto dict = JaDictionary::load_default();
  double dict_ms = ms_since(t1);
  if (!db.ok() || !dict.ok()) {
    std::fprintf(stderr, "ja_bench: %s\n", (db.ok() ? dict.status() : db.status()).message().c_str());
    return 2;
  }
  auto t2 = Clock::now();
  auto matcher = JaToTags::create(db.value(), dict.value());
  double matcher_ms = ms_since(t2);
  if (!matcher.ok()) {
    std::fprintf(stderr, "ja_bench: %s\n", matcher.status().message().c_str());
    return 2;
  }
  std::printf("load: tag database %.1f ms (%zu tags), dictionary %.1f ms (%zu entries), matcher+MeCab %.1f ms, "
              "total %.1f ms\n",
              db_ms, db->size(), dict_ms, dict->size(), matcher_ms, db_ms + dict_ms + matcher_ms);

  std::vector<double> times;
  for (int r = 0; r < rounds; ++r) {
    for (auto& q : requests) {
      auto t = Clock::now();
      auto res = matcher.value()->convert(q);
      times.push_back(ms_since(t));
      if (!res.ok()) return 1;
    }
  }
  std::sort(times.begin(), times.end());
  double sum = 0;
  for (double v : times) sum += v;
  std::printf("requests: %zu x %d, mean %.3f ms, median %.3f ms, p99 %.3f ms, max %.3f ms\n", requests.size(), rounds,
              sum / times.size(), times[times.size() / 2], times[times.size() * 99 / 100], times.back());

  std::string long_text;
  while (long_text.size() < 30000) long_text += "青い髪の女の子が桜の下で笑っている。";
  auto t3 = Clock::now();
  auto res = matcher.value()->convert(long_text);
  std::printf("long request: %zu bytes, %.2f ms\n", long_text.size(), ms_since(t3));

  auto t4 = Clock::now();
  size_t n = 0;
  for (int r = 0; r < 1000; ++r) n += db->suggest("blonde_hiar", 3).size();
  std::printf("typo suggestion (suggest blonde_hiar): %.3f ms each\n", ms_since(t4) / 1000);
  auto t5 = Clock::now();
  for (int r = 0; r < 1000; ++r) n += db->prefix_search("blue_", 10).size();
  std::printf("prefix search (blue_, 10): %.4f ms each\n", ms_since(t5) / 1000);
  return res.ok() && n > 0 ? 0 : 1;
}
