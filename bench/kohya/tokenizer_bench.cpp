// Tokenizer throughput: CLIP token counts of 100,000 random 25-tag captions (tags from
// /work/shared/data/tagcomplete-danbooru.csv), cold cache then warm cache. Run: build/bench/kohya/tokenizer_bench
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>
#include "tagmetry/clip_tokenizer.h"
int main() {
  auto tok = tagmetry::ClipTokenizer::load_default().value();
  std::vector<std::string> tags; std::ifstream in("/work/shared/data/tagcomplete-danbooru.csv"); std::string l;
  while (std::getline(in, l) && tags.size() < 5000) tags.push_back(l.substr(0, l.find(',')));
  std::mt19937 rng(1); std::vector<std::string> caps;
  for (int i = 0; i < 100000; ++i) { std::string c; for (int k = 0; k < 25; ++k) { if (k) c += ", "; c += tags[rng() % tags.size()]; } caps.push_back(c); }
  for (int pass = 0; pass < 2; ++pass) {
    auto t0 = std::chrono::steady_clock::now(); size_t total = 0;
    for (auto& c : caps) total += tok.count(c);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("pass %d: 100000 captions (25 tags), %zu tokens, %.3f s\n", pass, total, s);
  }
}
