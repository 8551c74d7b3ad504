// Times the phases of `tagmetry stats` / `tagmetry lint` on a dataset folder (scan, corpus load with and
// without the CLIP tokenizer, figures, JSON, lint rules), CPU and wall time per phase.
//   stats_phase_bench DIR [--trigger T]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "tagmetry/dataset_listing.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/lint.h"
#include "tagmetry/tag_database.h"

using namespace tagmetry;

namespace {
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}
struct Phase {
  const char* name;
  double cpu0 = cpu_seconds();
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  explicit Phase(const char* n) : name(n) {}
  ~Phase() {
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-28s wall %6.3f s  cpu %6.3f s\n", name, wall, cpu_seconds() - cpu0);
  }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: stats_phase_bench DIR [--trigger T]\n"), 2;
  std::string dir = argv[1];
  std::string trigger = argc > 3 ? argv[3] : "zkw";
  Result<ClipTokenizer> tok = ClipTokenizer::load_default();
  Result<TagDatabase> db = TagDatabase{};
  { Phase p("ClipTokenizer::load_default"); tok = ClipTokenizer::load_default(); }
  { Phase p("TagDatabase::load_default"); db = TagDatabase::load_default(); }
  if (!tok.ok() || !db.ok()) return std::fprintf(stderr, "cannot load tokenizer or tag list\n"), 1;
  { Phase p("list_dataset (internal)"); auto ds = dataset_internal::list_dataset(dir, {}, ".caption"); }
  { Phase p("scan_dataset"); auto ds = scan_dataset(dir); }
  CorpusOptions co;
  { Phase p("load_corpus (no tokenizer)"); auto c = load_corpus(dir, co, nullptr); }
  Result<DatasetCorpus> corpus = DatasetCorpus{};
  { Phase p("load_corpus"); corpus = load_corpus(dir, co, &*tok); }
  if (!corpus.ok()) return std::fprintf(stderr, "%s\n", corpus.status().message().c_str()), 1;
  DatasetStats st;
  { Phase p("compute_stats"); st = compute_stats(*corpus, StatsParams{}, &*db); }
  { Phase p("stats_to_json"); std::string j = stats_to_json(st); }
  LintParams lp;
  lp.trigger = trigger;
  lp.resolution = 8;
  std::vector<LintFinding> f;
  { Phase p("lint_dataset"); f = std::move(lint_dataset(*corpus, lp, &*tok, &*db)).value(); }
  { Phase p("lint_to_json"); std::string j = lint_to_json(f); }
  return 0;
}
