// Tagging throughput, measured side by side on the same images and the same ONNX Runtime session:
//   decode   decode + preprocess only, one thread (images/s per thread; target >= 40 on 1-4 MP JPEGs)
//   infer    pure inference of already preprocessed tensors at batch size B (the floor)
//   serial   decode -> preprocess -> run, one image at a time (what kohya's script does by default)
//   e2e      run_tagging (`tagmetry tag`): decoder threads + batched inference at batch size B
// Reports images/s and the ratios e2e/infer (target <= 1.1) and serial/e2e.
//
// Each timed configuration runs --rounds times, interleaved with the others, and the fastest round
// counts (other load on the machine only ever makes a round slower). Decode throughput is also given per
// CPU-second of the process (decoding runs alone then), which other load barely affects.
//
// --decode-only measures decode + preprocess alone, with 1, 2, … threads at once (--decode-threads 1,2,4):
// images/s in all and per thread, so the ceiling a GPU run can reach from decoding is known. Any model of the
// right input size will do (only its preprocessing is used), e.g. a known-answer model at 448.
//
//   tagger_bench --model-dir DIR --images DIR [--batch-sizes 1,2,4,8] [--threads N] [--rounds 2] [--json]
//   tagger_bench --model-dir DIR --images DIR --decode-only [--decode-threads 1,2,4] [--json]
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tagmetry/dataset.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_pipeline.h"
#include "tagmetry/tagger.h"

using namespace tagmetry;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
static double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);  // libvips decodes on its own worker threads
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// K threads decode + preprocess all images between them (each into its own buffer); the fastest of
// `rounds` passes counts, after one warm-up pass that puts the files in the page cache.
static int decode_bench(const Tagger& t, const Dataset& ds, const std::string& thread_list, int rounds, bool json,
                        nlohmann::json& out) {
  const size_t n = ds.items.size();
  std::atomic<bool> failed{false};
  double cpu = 0;  // process CPU seconds of the last pass
  auto pass = [&](int k) {
    const double cpu0 = process_cpu_seconds();
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    auto start = Clock::now();
    for (int i = 0; i < k; ++i)
      pool.emplace_back([&] {
        std::vector<float> buf(t.input_size());
        for (size_t j; (j = next++) < n;) {
          Status s = t.load_and_preprocess(ds.items[j].image, buf.data());
          if (!s.ok() && !failed.exchange(true)) std::fprintf(stderr, "%s\n", s.message().c_str());
        }
      });
    for (auto& th : pool) th.join();
    cpu = process_cpu_seconds() - cpu0;
    return seconds_since(start);
  };
  pass(1);
  nlohmann::json rows = nlohmann::json::array();
  for (auto& text : split_trimmed(thread_list, ",")) {
    const int k = std::max(1, std::stoi(text));
    double best = 1e30, best_cpu = 0;
    for (int r = 0; r < rounds; ++r) {
      const double s = pass(k);
      if (s < best) best = s, best_cpu = cpu;
    }
    rows.push_back({{"threads", k}, {"images_per_s", n / best}, {"images_per_s_per_thread", n / best / k},
                    {"images_per_cpu_s", n / best_cpu}});
    if (!json)
      std::printf("decode+preprocess at %d px, %d thread(s): %.1f images/s (%.1f per thread; %.1f per CPU-second)\n",
                  t.spec().side, k, n / best, n / best / k, n / best_cpu);
  }
  out["decode"] = rows;
  out["cores"] = std::thread::hardware_concurrency();
  if (json) std::printf("%s\n", out.dump(1).c_str());
  return failed ? 1 : 0;
}

int main(int argc, char** argv) {
  std::string model_dir, images_dir, batch_list = "1,2,4,8", decode_threads = "1,2,4";
  int threads = 0, rounds = 2;
  bool json = false, decode_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--model-dir") model_dir = next();
    else if (a == "--images") images_dir = next();
    else if (a == "--batch-sizes") batch_list = next();
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--rounds") rounds = std::max(1, std::stoi(next()));
    else if (a == "--json") json = true;
    else if (a == "--decode-only") decode_only = true;
    else if (a == "--decode-threads") decode_threads = next();
    else {
      std::fprintf(stderr, "usage: tagger_bench --model-dir DIR --images DIR [--batch-sizes 1,2,4,8] [--threads N] [--json]\n");
      return 2;
    }
  }
  auto folder = find_model_files(model_dir);
  auto ds = scan_dataset(images_dir);
  if (!folder.ok() || !ds.ok()) {
    std::fprintf(stderr, "%s\n", (!folder.ok() ? folder.status() : ds.status()).message().c_str());
    return 2;
  }
  auto tagger = Tagger::open(*folder, {});
  if (!tagger.ok()) {
    std::fprintf(stderr, "%s\n", tagger.status().message().c_str());
    return 2;
  }
  Tagger& t = **tagger;
  const size_t n = ds->items.size(), floats = t.input_size();
  std::vector<int> batches;
  for (auto& b : split_trimmed(batch_list, ",")) batches.push_back(std::stoi(b));
  nlohmann::json out{{"images", n}, {"model", folder->model.string()}, {"side", t.spec().side}};
  if (decode_only) return decode_bench(t, *ds, decode_threads, rounds, json, out);

  // decode: one thread, all images, twice (the second pass is the measurement; files are in the page cache).
  std::vector<std::vector<float>> tensors(n, std::vector<float>(floats));
  for (int pass = 0; pass < 2; ++pass) {
    auto start = Clock::now();
    double cpu0 = process_cpu_seconds();
    for (size_t i = 0; i < n; ++i) {
      Status s = t.load_and_preprocess(ds->items[i].image, tensors[i].data());
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
      }
    }
    if (pass == 1) {
      out["decode_images_per_s_per_thread"] = n / seconds_since(start);
      out["decode_images_per_cpu_s"] = n / (process_cpu_seconds() - cpu0);
    }
  }
  (void)t.infer(tensors[0].data(), 1);  // warm-up

  auto serial_once = [&] {
    std::vector<float> buf(floats);
    auto start = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      (void)t.load_and_preprocess(ds->items[i].image, buf.data());
      (void)t.infer(buf.data(), 1);
    }
    return seconds_since(start);
  };
  auto infer_once = [&](int b) {
    std::vector<float> batch(static_cast<size_t>(b) * floats);
    auto start = Clock::now();
    for (size_t i = 0; i < n; i += b) {
      size_t m = std::min<size_t>(b, n - i);
      for (size_t k = 0; k < m; ++k) std::copy(tensors[i + k].begin(), tensors[i + k].end(), batch.begin() + k * floats);
      (void)t.infer(batch.data(), m);
    }
    return seconds_since(start);
  };
  double setup_best = 1e30;
  auto e2e_once = [&](int b) -> double {
    fs::path scratch = fs::temp_directory_path() / ("tagger-bench-" + std::to_string(b));
    fs::remove_all(scratch);
    fs::create_directories(scratch);
    for (auto& item : ds->items) fs::create_symlink(fs::absolute(item.image), scratch / item.image.filename());
    TagParams params;
    params.model_dir = model_dir;
    params.batch_size = b;
    params.threads = threads;
    auto report = run_tagging(scratch, *folder, params);
    fs::remove_all(scratch);
    if (!report.ok()) {
      std::fprintf(stderr, "%s\n", report.status().message().c_str());
      std::exit(1);
    }
    setup_best = std::min(setup_best, report->setup_seconds);
    return report->seconds - report->setup_seconds;  // steady state; setup is reported on its own
  };

  double serial = 1e30;
  std::vector<double> infer_best(batches.size(), 1e30), e2e_best(batches.size(), 1e30);
  for (int r = 0; r < rounds; ++r) {
    serial = std::min(serial, serial_once());
    for (size_t k = 0; k < batches.size(); ++k) {
      infer_best[k] = std::min(infer_best[k], infer_once(batches[k]));
      e2e_best[k] = std::min(e2e_best[k], e2e_once(batches[k]));
    }
  }
  out["serial_images_per_s"] = n / serial;
  out["e2e_setup_seconds"] = setup_best;
  out["rounds"] = rounds;
  nlohmann::json rows = nlohmann::json::array();
  for (size_t k = 0; k < batches.size(); ++k) {
    double infer_rate = n / infer_best[k], e2e_rate = n / e2e_best[k];
    rows.push_back({{"batch_size", batches[k]},
                    {"infer_images_per_s", infer_rate},
                    {"e2e_images_per_s", e2e_rate},
                    {"e2e_over_infer_time", infer_rate / e2e_rate},
                    {"serial_over_e2e_time", e2e_rate / (n / serial)}});
  }
  out["batches"] = rows;
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("images: %zu  model: %s  side: %d\n", n, folder->model.string().c_str(), t.spec().side);
  std::printf("decode+preprocess: %.1f images/s per thread (wall), %.1f images per CPU-second\n",
              out["decode_images_per_s_per_thread"].get<double>(), out["decode_images_per_cpu_s"].get<double>());
  std::printf("serial baseline:   %.3f images/s\n", out["serial_images_per_s"].get<double>());
  std::printf("e2e setup (scan, model load, database, model hash; once per run): %.2f s, excluded below\n",
              out["e2e_setup_seconds"].get<double>());
  std::printf("%6s %12s %12s %16s %16s\n", "batch", "infer img/s", "e2e img/s", "e2e/infer time", "speedup vs serial");
  for (auto& r : rows)
    std::printf("%6d %12.3f %12.3f %16.3f %16.2fx\n", r["batch_size"].get<int>(), r["infer_images_per_s"].get<double>(),
                r["e2e_images_per_s"].get<double>(), r["e2e_over_infer_time"].get<double>(),
                r["serial_over_e2e_time"].get<double>());
  return 0;
}
