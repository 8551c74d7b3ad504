// Times models per image with ONNX Runtime on a fixed number of threads and reports file size and how many
// outputs exceed a threshold on a synthetic image. Used to compare fp32 against int8 (see docs/quantize.md):
//   quantize_bench [--threads N] [--runs N] [--batch N] [--threshold T] [--profile DIR] MODEL.onnx [MODEL.onnx ...]
// --profile DIR writes ONNX Runtime's per-node profile of each model's timed runs to DIR (summarise it by
// operator with bench/quantize/profile_summary.py).
// The first run of each model is a warm-up and is not timed; timed runs interleave the models. Reports the
// median wall time and the process CPU time per image (CPU time is what to compare on a busy machine),
// and ratios against the first model. One text line and one JSON line per model.

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tagmetry/infer.h"

namespace {

// A deterministic NHWC 0-255 "image" with smooth structure (gradients + a disc), so features vary.
std::vector<float> synthetic_nhwc(int batch, int side) {
  std::vector<float> v(static_cast<size_t>(batch) * side * side * 3);
  size_t i = 0;
  for (int b = 0; b < batch; ++b)
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        float dx = x - side * 0.5f, dy = y - side * 0.45f;
        bool disc = dx * dx + dy * dy < side * side * 0.06f;
        v[i++] = disc ? 40.0f : 255.0f * x / side;                  // B
        v[i++] = disc ? 90.0f + b : 255.0f * y / side;              // G
        v[i++] = disc ? 200.0f : 128.0f + 100.0f * std::sin(x * 0.05f);  // R
      }
  return v;
}

}  // namespace

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Loaded {
  std::filesystem::path path;
  std::unique_ptr<tagmetry::InferenceSession> session;
  std::vector<int64_t> shape;
  double load_s = 0;
  size_t outputs = 0, above = 0;
  std::vector<double> wall, cpu;
};

int main(int argc, char** argv) {
  int threads = 2, runs = 3, batch = 1;
  double threshold = 0.35;
  std::filesystem::path profile_dir;
  std::vector<std::filesystem::path> models;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--threads") threads = std::atoi(next().c_str());
    else if (a == "--runs") runs = std::atoi(next().c_str());
    else if (a == "--batch") batch = std::atoi(next().c_str());
    else if (a == "--threshold") threshold = std::atof(next().c_str());
    else if (a == "--profile") profile_dir = next();
    else models.emplace_back(a);
  }
  if (models.empty() || runs < 1 || batch < 1) {
    std::fprintf(stderr, "usage: quantize_bench [--threads N] [--runs N] [--batch N] [--threshold T] [--profile DIR] MODEL.onnx...\n");
    return 2;
  }
  std::printf("onnxruntime %s, %d threads, batch %d, %d timed runs (models interleaved)\n",
              tagmetry::onnxruntime_version().c_str(), threads, batch, runs);
  std::vector<Loaded> loaded;
  std::vector<float> data;
  for (const auto& model : models) {
    Loaded l;
    l.path = model;
    tagmetry::SessionOptions options;
    options.threads = threads;
    if (!profile_dir.empty()) {
      std::filesystem::create_directories(profile_dir);
      options.profile_prefix = (profile_dir / model.stem()).string();
    }
    auto t0 = std::chrono::steady_clock::now();
    auto session = tagmetry::InferenceSession::open(model, options);
    if (!session.ok()) {
      std::fprintf(stderr, "%s\n", session.status().message().c_str());
      return 1;
    }
    l.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    l.session = std::move(*session);
    const auto& in = l.session->inputs().front();
    bool nchw = in.shape.size() == 4 && in.shape[1] == 3;
    int side = in.shape.size() == 4 ? static_cast<int>(nchw ? in.shape[2] : in.shape[1]) : 448;
    if (side <= 0) side = 448;
    l.shape = nchw ? std::vector<int64_t>{batch, 3, side, side} : std::vector<int64_t>{batch, side, side, 3};
    if (data.empty()) data = synthetic_nhwc(batch, side);
    loaded.push_back(std::move(l));
  }
  // Round 0 warms every model up (and counts tags); rounds 1..runs are timed, models interleaved so that
  // load from other processes on a shared machine hits them alike.
  for (int r = 0; r <= runs; ++r) {
    for (auto& l : loaded) {
      double c0 = cpu_seconds();
      auto t = std::chrono::steady_clock::now();
      auto out = l.session->run(data.data(), l.shape);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
      double c = cpu_seconds() - c0;
      if (!out.ok()) {
        std::fprintf(stderr, "%s: %s\n", l.path.string().c_str(), out.status().message().c_str());
        return 1;
      }
      if (r == 0) {
        l.outputs = out->values.size() / batch;
        for (size_t k = 0; k < l.outputs; ++k) l.above += out->values[k] >= threshold;
      } else {
        l.wall.push_back(s / batch);
        l.cpu.push_back(c / batch);
      }
    }
  }
  for (auto& l : loaded) {
    std::string profile = l.session->end_profiling();
    if (!profile.empty()) std::printf("%s: profile %s\n", l.path.string().c_str(), profile.c_str());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  };
  const double base_wall = median(loaded.front().wall), base_cpu = median(loaded.front().cpu);
  for (const auto& l : loaded) {
    double wall = median(l.wall), cpu = median(l.cpu), best = *std::min_element(l.wall.begin(), l.wall.end());
    double mb = std::filesystem::file_size(l.path) / 1e6;
    std::printf("%s: median %.3f s/image (best %.3f), cpu %.3f s/image, %.2fx wall / %.2fx cpu of the first; "
                "load %.2f s, %.1f MB, %zu outputs, %zu >= %.2f\n",
                l.path.string().c_str(), wall, best, cpu, wall / base_wall, cpu / base_cpu, l.load_s, mb,
                l.outputs, l.above, threshold);
    std::printf("{\"model\":\"%s\",\"seconds_per_image\":%.4f,\"best_seconds_per_image\":%.4f,"
                "\"cpu_seconds_per_image\":%.4f,\"wall_ratio\":%.3f,\"cpu_ratio\":%.3f,\"load_seconds\":%.3f,"
                "\"megabytes\":%.1f,\"outputs\":%zu,\"above_threshold\":%zu,\"threads\":%d,\"batch\":%d}\n",
                l.path.string().c_str(), wall, best, cpu, wall / base_wall, cpu / base_cpu, l.load_s, mb,
                l.outputs, l.above, threads, batch);
  }
  return 0;
}
