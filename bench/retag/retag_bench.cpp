// retag benchmark: N images with stored scores for a WD v3-sized model (10,861 labels), captions
// re-derived with new thresholds. Measures the library call and the CLI end to end (process start
// included). Target (issue 3): 10,000 images in under 1 second.
//
//   retag_bench [--images 10000] [--labels 10861] [--dir /tmp/tagmetry-retag-bench]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tagmetry/files.h"
#include "tagmetry/retag.h"
#include "tagmetry/store.h"
#include "../support/synthetic_scores.h"

namespace fs = std::filesystem;
using namespace tagmetry;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// CPU seconds (user + system) of this process or of its waited-for children.
double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int die(const Status& s) {
  std::fprintf(stderr, "retag_bench: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  size_t images = 10000, labels = 10861;
  fs::path dir = "/tmp/tagmetry-retag-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--images") images = std::stoul(argv[i + 1]);
    else if (a == "--labels") labels = std::stoul(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
  }
  fs::remove_all(dir);
  fs::create_directories(dir);

  // Setup: stand-in image files (retag never decodes them), the model and WD-like scores.
  auto t0 = std::chrono::steady_clock::now();
  if (Status s = bench::write_synthetic_scores(dir, images, labels); !s.ok()) return die(s);
  std::printf("setup: %zu images x %zu labels (%.1f MB of scores) in %.1fs\n", images, labels,
              images * labels * 2 / 1e6, seconds_since(t0));

  auto run = [&](const char* what, RetagParams params) -> int {
    auto t = std::chrono::steady_clock::now();
    double c = cpu_seconds(RUSAGE_SELF);
    auto r = run_retag(dir, params);
    double s = seconds_since(t);
    if (!r.ok()) return die(r.status());
    std::printf("%-48s %7.3f s  %6.3f CPU-s  (%zu written, %zu unchanged, %.0f images/s)\n", what, s,
                cpu_seconds(RUSAGE_SELF) - c, r->written, r->unchanged, images / s);
    return 0;
  };
  RetagParams first;
  if (run("library: first captions (all new)", first)) return 1;
  RetagParams changed;
  changed.general_threshold = 0.5;
  if (run("library: --general-threshold 0.5 (all change)", changed)) return 1;
  if (run("library: same options again (no change)", changed)) return 1;
  RetagParams one_thread;
  one_thread.general_threshold = 0.35;
  one_thread.threads = 1;
  if (run("library: one thread, --general-threshold 0.35", one_thread)) return 1;
  one_thread.general_threshold = 0.5;
  if (run("library: one thread, --general-threshold 0.5", one_thread)) return 1;

  // CLI end to end, process start and database open included.
  for (const char* th : {"0.4", "0.3"}) {
    std::string cmd = std::string(TAGMETRY_CLI_PATH) + " retag " + dir.string() + " --general-threshold " + th + " > /dev/null";
    auto t = std::chrono::steady_clock::now();
    double c = cpu_seconds(RUSAGE_CHILDREN);
    int rc = std::system(cmd.c_str());
    double s = seconds_since(t);
    std::printf("%-48s %7.3f s  %6.3f CPU-s  (exit %d)\n",
                (std::string("cli: tagmetry retag --general-threshold ") + th).c_str(), s,
                cpu_seconds(RUSAGE_CHILDREN) - c, rc);
  }
  return 0;
}
