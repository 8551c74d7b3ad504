// Agreement of two tagger models (an fp32 one and its int8 version) over the same images: probability
// differences and tag-set precision/recall/F1 of B against A at the same thresholds.
//
// Preprocessing is done here, in the two layouts DESIGN.md specifies (WD: NHWC BGR 0–255; JoyTag: NCHW RGB
// /255 with CLIP mean/std), chosen from the model's input shape; kept small on purpose until the tagger
// module's preprocessing API is public.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>

#include "tagmetry/dataset.h"
#include "tagmetry/image.h"
#include "tagmetry/infer.h"
#include "tagmetry/quantize.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;

struct Layout {
  bool nchw = false;  // JoyTag: NCHW RGB normalised; WD: NHWC BGR 0–255
  int side = 448;
};

Result<Layout> read_layout(const InferenceSession& s, const fs::path& model) {
  if (s.inputs().empty() || s.outputs().empty()) return model_error(model.string() + ": model has no input or output");
  const auto& shape = s.inputs().front().shape;
  if (shape.size() != 4) return model_error(model.string() + ": input is not a 4-D image tensor");
  Layout l;
  if (shape[1] == 3 && shape[3] != 3) l.nchw = true;
  int64_t side = l.nchw ? shape[2] : shape[1];
  if (side <= 0) side = l.nchw ? shape[3] : shape[2];
  if (side <= 0) side = 448;
  l.side = static_cast<int>(side);
  return l;
}

void to_tensor(const RgbImage& img, const Layout& l, std::vector<float>& out) {
  const size_t plane = static_cast<size_t>(l.side) * l.side;
  out.assign(plane * 3, 0.0f);
  static constexpr float kMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
  static constexpr float kStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};
  for (size_t p = 0; p < plane; ++p) {
    const uint8_t* px = &img.pixels[p * 3];
    for (int c = 0; c < 3; ++c) {
      if (l.nchw) out[c * plane + p] = (px[c] / 255.0f - kMean[c]) / kStd[c];
      else out[p * 3 + c] = px[2 - c];  // BGR, 0–255
    }
  }
}

// Deterministic stand-ins for photos when no folder is given: gradients, a disc, stripes and noise.
RgbImage synthetic_image(int index, int side) {
  RgbImage img{side, side, std::vector<uint8_t>(static_cast<size_t>(side) * side * 3)};
  std::mt19937 rng(1234u + static_cast<unsigned>(index));
  std::uniform_int_distribution<int> noise(0, 255);
  const int cx = side * (2 + index % 5) / 8, cy = side * (3 + index % 3) / 8, r = side / (3 + index % 4);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      uint8_t* px = &img.pixels[(static_cast<size_t>(y) * side + x) * 3];
      int v[3] = {(x * 255 / side + index * 37) % 256, (y * 255 / side + index * 71) % 256,
                  ((x + y) * 128 / side + index * 23) % 256};
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r) v[0] = 230 - index * 20, v[1] = 40 + index * 25, v[2] = 90;
      if (index % 2 == 1 && (y / (8 + index)) % 2 == 0) v[2] = 255 - v[2];
      if (index >= 6) for (auto& c : v) c = (c + noise(rng)) / 2;
      for (int c = 0; c < 3; ++c) px[c] = static_cast<uint8_t>(std::clamp(v[c], 0, 255));
    }
  return img;
}

// Category per output from a WD selected_tags.csv (column "category"); empty when there is no file.
Result<std::vector<int>> read_categories(const fs::path& csv) {
  std::vector<int> cats;
  std::error_code ec;
  if (csv.empty() || !fs::is_regular_file(csv, ec)) return cats;
  std::ifstream f(csv);
  std::string line;
  if (!std::getline(f, line)) return cats;
  auto header = split(line, ",");
  int col = -1;
  for (size_t i = 0; i < header.size(); ++i)
    if (trim(header[i]) == "category") col = static_cast<int>(i);
  if (col < 0) return cats;  // not a WD label file: every output is a tag
  int line_no = 1;
  while (std::getline(f, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    auto fields = split(line, ",");
    // A name with commas is quoted; the category is then counted from the end (tag_id,name,category,count).
    size_t idx = fields.size() > header.size() ? fields.size() - header.size() + col : static_cast<size_t>(col);
    if (idx >= fields.size()) return corrupt(csv.string() + ":" + std::to_string(line_no) + ": no category column");
    cats.push_back(std::atoi(std::string(trim(fields[idx])).c_str()));
  }
  return cats;
}

void sigmoid_in_place(std::vector<float>& v) {
  for (auto& x : v) x = 1.0f / (1.0f + std::exp(-x));
}

}  // namespace

Result<AgreementReport> compare_models(const fs::path& a, const fs::path& b, const fs::path& dir,
                                       const CompareParams& params) {
  SessionOptions so;
  so.threads = params.threads;
  TM_ASSIGN_OR_RETURN(auto sa, InferenceSession::open(a, so));
  TM_ASSIGN_OR_RETURN(auto sb, InferenceSession::open(b, so));
  TM_ASSIGN_OR_RETURN(Layout la, read_layout(*sa, a));
  TM_ASSIGN_OR_RETURN(Layout lb, read_layout(*sb, b));
  if (la.nchw != lb.nchw || la.side != lb.side || sa->outputs().front().shape != sb->outputs().front().shape)
    return invalid_argument(b.string() + ": input or output shape differs from " + a.string());
  TM_ASSIGN_OR_RETURN(GraphSummary ga, inspect_onnx_graph(a));
  TM_ASSIGN_OR_RETURN(GraphSummary gb, inspect_onnx_graph(b));
  fs::path labels = params.labels.empty() ? a.parent_path() / "selected_tags.csv" : params.labels;
  if (!params.labels.empty() && !fs::is_regular_file(labels)) return not_found(labels.string() + ": no such labels file");
  TM_ASSIGN_OR_RETURN(std::vector<int> cats, read_categories(labels));

  std::vector<fs::path> images;
  if (!dir.empty()) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return not_found(dir.string() + ": no such folder");
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_regular_file() && has_image_extension(e.path())) images.push_back(e.path());
    std::sort(images.begin(), images.end());
    if (images.empty()) return not_found(dir.string() + ": no images in the folder");
  }
  const int total = dir.empty() ? 8 : static_cast<int>(images.size());
  const int count = params.max_images > 0 ? std::min(total, params.max_images) : total;

  AgreementReport r;
  double sum_diff = 0;
  int64_t n_diff = 0;
  std::vector<float> input;
  const std::vector<int64_t> shape = la.nchw ? std::vector<int64_t>{1, 3, la.side, la.side}
                                             : std::vector<int64_t>{1, la.side, la.side, 3};
  for (int i = 0; i < count; ++i) {
    std::string name = dir.empty() ? "synthetic_" + std::to_string(i) : images[i].filename().string();
    RgbImage img;
    if (dir.empty()) {
      img = synthetic_image(i, la.side);
    } else {
      auto loaded = load_padded_square(images[i], la.side);
      if (!loaded.ok()) {
        r.failed.push_back(loaded.status().message());
        continue;
      }
      img = std::move(*loaded);
    }
    to_tensor(img, la, input);
    auto t0 = std::chrono::steady_clock::now();
    TM_ASSIGN_OR_RETURN(OutputTensor oa, sa->run(input.data(), shape));
    auto t1 = std::chrono::steady_clock::now();
    TM_ASSIGN_OR_RETURN(OutputTensor ob, sb->run(input.data(), shape));
    auto t2 = std::chrono::steady_clock::now();
    r.seconds_a += std::chrono::duration<double>(t1 - t0).count();
    r.seconds_b += std::chrono::duration<double>(t2 - t1).count();
    if (ga.output_kind == OutputKind::kLogits) sigmoid_in_place(oa.values);
    if (gb.output_kind == OutputKind::kLogits) sigmoid_in_place(ob.values);
    if (oa.values.size() != ob.values.size()) return internal_error(name + ": output sizes differ");
    if (!cats.empty() && cats.size() != oa.values.size())
      return model_error(labels.string() + ": " + std::to_string(cats.size()) + " labels but the model has " +
                         std::to_string(oa.values.size()) + " outputs");
    int64_t ta = 0, tb = 0, both = 0;
    for (size_t j = 0; j < oa.values.size(); ++j) {
      double d = std::fabs(static_cast<double>(oa.values[j]) - ob.values[j]);
      if (!(d <= r.max_abs_diff)) r.max_abs_diff = d;  // NaN propagates as the maximum
      sum_diff += d;
      ++n_diff;
      int cat = cats.empty() ? 0 : cats[j];
      if (cat == 9) continue;  // ratings are chosen by argmax, not thresholds
      double thr = cat == 4 ? params.character_threshold : params.general_threshold;
      bool in_a = oa.values[j] >= thr, in_b = ob.values[j] >= thr;
      ta += in_a;
      tb += in_b;
      both += in_a && in_b;
    }
    r.tags_a += ta;
    r.tags_b += tb;
    r.tags_both += both;
    double f1 = ta + tb == 0 ? 1.0 : 2.0 * both / static_cast<double>(ta + tb);
    if (r.images == 0 || f1 < r.min_image_f1) {
      r.min_image_f1 = f1;
      r.worst_image = name;
    }
    ++r.images;
  }
  if (r.images == 0) return not_found(dir.string() + ": no image could be read (" + r.failed.front() + ")");
  r.mean_abs_diff = n_diff ? sum_diff / n_diff : 0;
  r.precision = r.tags_b ? static_cast<double>(r.tags_both) / r.tags_b : (r.tags_a ? 0.0 : 1.0);
  r.recall = r.tags_a ? static_cast<double>(r.tags_both) / r.tags_a : (r.tags_b ? 0.0 : 1.0);
  r.f1 = r.tags_a + r.tags_b ? 2.0 * r.tags_both / static_cast<double>(r.tags_a + r.tags_b) : 1.0;
  r.seconds_a /= r.images;
  r.seconds_b /= r.images;
  return r;
}

}  // namespace tagmetry
