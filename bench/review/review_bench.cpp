// review benchmark: N images with stored scores for a WD v3-sized model (10,861 labels, scores shaped
// like a real tagger's), then the review queue built from them and decisions written and undone.
// Target (issue 18): the queue for 100,000 images x 10,000 tags in <= 2 s; one decision well under 50 ms.
//
//   review_bench [--images 10000] [--labels 10861] [--dir /tmp/tagmetry-review-bench] [--keep]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tagmetry/dataset.h"
#include "tagmetry/review.h"
#include "tagmetry/store.h"
#include "../support/synthetic_scores.h"

namespace fs = std::filesystem;
using namespace tagmetry;

namespace {

// CPU seconds (user + system) of this process.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int die(const Status& s) {
  std::fprintf(stderr, "review_bench: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  size_t images = 10000, labels = 10861;
  fs::path dir = "/tmp/tagmetry-review-bench";
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--keep") keep = true;
    else if (i + 1 < argc && a == "--images") images = std::stoul(argv[++i]);
    else if (i + 1 < argc && a == "--labels") labels = std::stoul(argv[++i]);
    else if (i + 1 < argc && a == "--dir") dir = argv[++i];
  }
  if (!keep || !fs::exists(default_store_path(dir))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto t0 = std::chrono::steady_clock::now();
    if (Status s = bench::write_synthetic_scores(dir, images, labels); !s.ok()) return die(s);
    std::printf("setup: %zu images x %zu labels (%.1f MB of scores) in %.1fs\n", images, labels,
                images * labels * 2 / 1e6, seconds_since(t0));
  }

  auto ds = scan_dataset(dir);
  if (!ds.ok()) return die(ds.status());
  auto store = Store::open_read_only(default_store_path(dir));
  if (!store.ok()) return die(store.status());
  ReviewParams params;
  for (int run = 0; run < 3; ++run) {
    auto t = std::chrono::steady_clock::now();
    double c = cpu_seconds();
    auto q = build_review_queue(**store, *ds, params);
    c = cpu_seconds() - c;
    if (!q.ok()) return die(q.status());
    size_t borderline = 0;
    for (auto& tag : q->tags) borderline += tag.borderline;
    std::printf("queue (library, run %d): %.3f s  %.3f CPU-s  (%zu images, %zu tags shown, %zu borderline pairs in them)\n",
                run + 1, seconds_since(t), c, q->scored, q->tags.size(), borderline);
  }
  // Decisions: accept and reject the first tag on 20 images, then undo them.
  auto q = build_review_queue(**store, *ds, params);
  store->reset();
  auto opened = open_journaled_dataset(dir, {}, false);
  if (!opened.ok()) return die(opened.status());
  const ReviewTag& tag = q->tags.front();
  double worst = 0, total = 0;
  size_t n = std::min<size_t>(20, tag.items.size());
  for (size_t i = 0; i < n; ++i) {
    auto t = std::chrono::steady_clock::now();
    ReviewDecisionRequest req{tag.items[i].image, tag.label, i % 2 ? ReviewVerdict::kReject : ReviewVerdict::kAccept, "", ".txt"};
    auto r = decide_review(*opened, req, "review_bench");
    if (!r.ok()) return die(r.status());
    double s = seconds_since(t);
    worst = std::max(worst, s), total += s;
  }
  std::printf("decide (library): %zu decisions, mean %.1f ms, worst %.1f ms\n", n, total / n * 1e3, worst * 1e3);
  worst = total = 0;
  for (size_t i = 0; i < n; ++i) {
    auto t = std::chrono::steady_clock::now();
    auto r = undo_review_decision(*opened, "review_bench");
    if (!r.ok()) return die(r.status());
    double s = seconds_since(t);
    worst = std::max(worst, s), total += s;
  }
  std::printf("undo (library): %zu undos, mean %.1f ms, worst %.1f ms\n", n, total / n * 1e3, worst * 1e3);
  return 0;
}
