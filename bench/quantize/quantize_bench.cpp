// Times models per image with ONNX Runtime on a fixed number of threads and reports file size and how many
// outputs exceed a threshold on a synthetic image. Used to compare fp32 against int8 (see docs/quantize.md):
//   quantize_bench [--threads N] [--runs N] [--batch N] [--threshold T] MODEL.onnx [MODEL.onnx ...]
// The first run of each model is a warm-up and is not timed. Prints one line per model, then JSON lines.

#include <chrono>
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

int main(int argc, char** argv) {
  int threads = 2, runs = 3, batch = 1;
  double threshold = 0.35;
  std::vector<std::filesystem::path> models;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--threads") threads = std::atoi(next().c_str());
    else if (a == "--runs") runs = std::atoi(next().c_str());
    else if (a == "--batch") batch = std::atoi(next().c_str());
    else if (a == "--threshold") threshold = std::atof(next().c_str());
    else models.emplace_back(a);
  }
  if (models.empty() || runs < 1 || batch < 1) {
    std::fprintf(stderr, "usage: quantize_bench [--threads N] [--runs N] [--batch N] MODEL.onnx...\n");
    return 2;
  }
  std::printf("onnxruntime %s, %d threads, batch %d, %d timed runs\n",
              tagmetry::onnxruntime_version().c_str(), threads, batch, runs);
  for (const auto& model : models) {
    tagmetry::SessionOptions options;
    options.threads = threads;
    auto t0 = std::chrono::steady_clock::now();
    auto session = tagmetry::InferenceSession::open(model, options);
    if (!session.ok()) {
      std::fprintf(stderr, "%s\n", session.status().message().c_str());
      return 1;
    }
    double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& in = (*session)->inputs().front();
    int side = in.shape.size() == 4 ? static_cast<int>(in.shape[1] > 3 ? in.shape[1] : in.shape[2]) : 448;
    auto data = synthetic_nhwc(batch, side);
    std::vector<int64_t> shape = {batch, side, side, 3};
    if (in.shape.size() == 4 && in.shape[1] == 3) shape = {batch, 3, side, side};
    double total = 0;
    size_t above = 0, outputs = 0;
    for (int r = 0; r <= runs; ++r) {
      auto t = std::chrono::steady_clock::now();
      auto out = (*session)->run(data.data(), shape);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
      if (!out.ok()) {
        std::fprintf(stderr, "%s: %s\n", model.string().c_str(), out.status().message().c_str());
        return 1;
      }
      if (r == 0) {
        outputs = out->values.size() / batch;
        for (size_t k = 0; k < outputs; ++k) above += out->values[k] >= threshold;
      } else {
        total += s;
      }
    }
    double per_image = total / runs / batch;
    double mb = std::filesystem::file_size(model) / 1e6;
    std::printf("%s: %.3f s/image, load %.2f s, %.1f MB, %zu outputs, %zu >= %.2f\n", model.string().c_str(),
                per_image, load_s, mb, outputs, above, threshold);
    std::printf("{\"model\":\"%s\",\"seconds_per_image\":%.4f,\"load_seconds\":%.3f,\"megabytes\":%.1f,"
                "\"outputs\":%zu,\"above_threshold\":%zu,\"threads\":%d,\"batch\":%d}\n",
                model.string().c_str(), per_image, load_s, mb, outputs, above, threads, batch);
  }
  return 0;
}
