// generate_bench: issue #14's two budgets, with everything loaded.
//   1. prompt building, request → prompt (ja2tags + style), per request: budget 20 ms;
//   2. Tagmetry's own cost per generated image at 1024x1024: decode the server's base64, write the PNG with
//      its parameters text and the caption (atomic writes): budget 50 ms.
//   build/bench/generate/generate_bench [REQUESTS.tsv] [ROUNDS]
// docs/generate.md holds the latest figures.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tagmetry/generate.h"
#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "tagmetry/strings.h"

using namespace tagmetry;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

static std::string base64(const std::string& in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8 | uint8_t(in[i + 2]);
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
  }
  if (i + 1 == in.size())
    out += {a[uint8_t(in[i]) >> 2], a[(uint8_t(in[i]) & 3) << 4], '=', '='};
  else if (i + 2 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8;
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], '='};
  }
  return out;
}

namespace tagmetry::gen {
Result<std::string> base64_decode(std::string_view text);  // src/generate (private), linked from the library
}

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : TAGMETRY_JA_REQUESTS;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> requests;
  for (auto& line : split(ss.str(), "\n"))
    if (!line.empty() && line[0] != '#') requests.push_back(split(line, "\t")[0]);

  PromptParams p;
  p.style = "animagine-xl-4.0";
  p.trigger = "mychar";
  p.loras = {"mychar:0.8"};
  auto t0 = Clock::now();
  auto builder = PromptBuilder::open(p);
  auto style = load_prompt_style(p.style);
  if (!builder.ok() || !style.ok()) return std::fprintf(stderr, "generate_bench: cannot load the data\n"), 2;
  auto warm = (*builder)->build(p, *style, "青い髪の女の子");  // loads the dictionary and MeCab
  if (!warm.ok()) return std::fprintf(stderr, "generate_bench: %s\n", warm.status().message().c_str()), 2;
  std::printf("load: %.1f ms (tag database, dictionary, MeCab)\n", ms_since(t0));

  std::vector<double> per;
  for (int r = 0; r < rounds; ++r)
    for (auto& q : requests) {
      auto t = Clock::now();
      auto res = (*builder)->build(p, *style, q);
      per.push_back(ms_since(t));
      if (!res.ok()) return std::fprintf(stderr, "generate_bench: %s\n", res.status().message().c_str()), 2;
    }
  std::sort(per.begin(), per.end());
  double sum = 0;
  for (double v : per) sum += v;
  std::printf("prompt: %zu requests, mean %.2f ms, p50 %.2f ms, p99 %.2f ms, max %.2f ms (budget 20 ms)\n", per.size(),
              sum / per.size(), per[per.size() / 2], per[per.size() * 99 / 100], per.back());

  // A 1024x1024 noise image: the PNG size of a real generation (incompressible detail), as base64.
  RgbImage img;
  img.width = img.height = 1024;
  img.pixels.resize(1024 * 1024 * 3);
  std::mt19937 rng(1);
  for (auto& px : img.pixels) px = static_cast<uint8_t>(rng() & 0xFF);
  EncodeOptions eo;
  eo.png_compression = 6;
  std::string b64 = base64(encode_image(img, eo).value());
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "tagmetry-generate-bench";
  std::filesystem::remove_all(dir);
  for (FileSync sync : {FileSync::kDeferred, FileSync::kFsync}) {
    std::vector<double> save, decode;
    for (int i = 0; i < 10 * rounds; ++i) {
      auto t = Clock::now();
      GeneratedImage g;
      g.png = gen::base64_decode(b64).value();
      decode.push_back(ms_since(t));
      g.seed = 1000 + i;
      g.model = "animagine-xl-4.0-opt";
      g.model_hash = "6327eca98b";
      auto s = save_generated_image(dir, g, *warm, sync);
      save.push_back(ms_since(t));
      if (!s.ok()) return std::fprintf(stderr, "generate_bench: %s\n", s.status().message().c_str()), 2;
    }
    std::sort(save.begin(), save.end());
    std::sort(decode.begin(), decode.end());
    sum = 0;
    for (double v : save) sum += v;
    std::printf(
        "save (%s): %zu images of 1024x1024 (%.1f MB base64), mean %.2f ms, p50 %.2f ms, max %.2f ms (budget 50 ms); "
        "of which base64 decoding p50 %.2f ms\n",
        sync == FileSync::kFsync ? "fsync each file" : "flush deferred to the batch", save.size(), b64.size() / 1e6,
        sum / save.size(), save[save.size() / 2], save.back(), decode[decode.size() / 2]);
    std::filesystem::remove_all(dir);
  }
  return 0;
}
