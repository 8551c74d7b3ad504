// The whole preprocessing contract, end to end through the CLI: known-answer models turn per-channel
// means into probabilities by a formula (known_answer.json), so the expected probability of every tag
// follows from the image, and any mistake in channel order, padding colour, value range, layout or
// sigmoid handling changes it.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fixtures.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::known_answer_models;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Expected probabilities given the means the model should see (in its channel order and scale).
std::map<std::string, double> expected(const std::string& family, const std::array<double, 3>& m) {
  auto spec = nlohmann::json::parse(read_all(known_answer_models() / "known_answer.json"));
  std::map<std::string, double> out;
  for (auto& l : spec[family]) {
    double z = l["b"].get<double>();
    for (int c = 0; c < 3; ++c) z += l["w"][c].get<double>() * m[c];
    out[l["name"]] = sigmoid(z);
  }
  return out;
}

// Runs tag with every tag written (threshold 0) and returns tag → probability from the JSONL output.
std::map<std::string, double> tag_probabilities(const fs::path& dir, const std::string& model,
                                                 const std::string& image, nlohmann::json* line_out = nullptr) {
  fs::path jsonl = dir / "out.jsonl";
  auto r = run_cli({"tag", dir.string(), "--model-dir", (known_answer_models() / model).string(), "--threshold", "0",
                    "--overwrite", "--output-jsonl", jsonl.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, double> probs;
  std::istringstream lines(read_all(jsonl));
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["path"] != image) continue;
    if (line_out) *line_out = j;
    for (auto& t : j["tags"]) probs[t["label"]] = t["probability"];
  }
  return probs;
}

void expect_all_near(const std::map<std::string, double>& got, const std::map<std::string, double>& want,
                     double tolerance, const std::string& what) {
  for (auto& [name, p] : want) {
    if (name == "general" || name == "sensitive" || name == "questionable" || name == "explicit") continue;
    auto it = got.find(name);
    ASSERT_NE(it, got.end()) << what << ": missing " << name;
    EXPECT_NEAR(it->second, p, tolerance) << what << ": " << name;
  }
}

TEST(KnownAnswer, WdRedImageIsBgrWhitePadded0To255) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto got = tag_probabilities(d.path(), "wd", "red_448x224.png");
  // Red half + white padding half; BGR order: B, G, R means.
  auto want = expected("wd", {127.5, 127.5, 255.0});
  expect_all_near(got, want, 2e-4, "wd red");
  EXPECT_GT(got["red_in_last_channel"], 0.99);
  EXPECT_GT(got["white_padding"], 0.99);
  EXPECT_GT(got["range_0_255"], 0.99);
  EXPECT_LT(got["blue_theme"], 0.01);
}

TEST(KnownAnswer, WdResizedImagesKeepTheirMeans) {
  TempDir d;
  testing::copy_images({"blue_300x500.png", "small_red_224x112.png"}, d.path());
  // 300x500 blue padded to 500x500 white (40% white), downscaled to 448.
  double white = 200.0 / 500.0 * 255.0;
  expect_all_near(tag_probabilities(d.path(), "wd", "blue_300x500.png"), expected("wd", {255.0, white, white}), 0.02,
                  "wd blue");
  // 224x112 red upscaled to 448.
  expect_all_near(tag_probabilities(d.path(), "wd", "small_red_224x112.png"), expected("wd", {127.5, 127.5, 255.0}),
                  0.02, "wd small red");
}

TEST(KnownAnswer, AlphaIsCompositedOnWhite) {
  TempDir d;
  testing::copy_images({"transparent.png", "grey.png"}, d.path());
  expect_all_near(tag_probabilities(d.path(), "wd", "transparent.png"), expected("wd", {255, 255, 255}), 2e-4,
                  "transparent");
  expect_all_near(tag_probabilities(d.path(), "wd", "grey.png"), expected("wd", {128, 128, 128}), 2e-4, "grey");
}

TEST(KnownAnswer, ExifOrientationIsApplied) {
  TempDir d;
  testing::copy_images({"rotated.jpg"}, d.path());
  nlohmann::json line;
  auto got = tag_probabilities(d.path(), "wd", "rotated.jpg", &line);
  EXPECT_EQ(line["width"], 400);
  EXPECT_EQ(line["height"], 200);
  EXPECT_GT(got["green_theme"], 0.9);
}

std::array<double, 3> clip_normalised(double r, double g, double b) {
  return {(r - 0.48145466) / 0.26862954, (g - 0.4578275) / 0.26130258, (b - 0.40821073) / 0.27577711};
}

TEST(KnownAnswer, JoyTagIsRgbNchwClipNormalisedLogits) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto got = tag_probabilities(d.path(), "joytag", "red_448x224.png");
  auto want = expected("joytag", clip_normalised(1.0, 0.5, 0.5));
  expect_all_near(got, want, 2e-4, "joytag red");
  EXPECT_NEAR(got["logit_minus_2"], 0.1192, 1e-3);  // sigmoid applied to logits
  EXPECT_GT(got["red_in_first_channel"], 0.99);
  EXPECT_GT(got["clip_normalised"], 0.85);
}

TEST(KnownAnswer, JoyTagWithSigmoidInsideIsNotSquashedTwice) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto got = tag_probabilities(d.path(), "joytag_sigmoid", "red_448x224.png");
  expect_all_near(got, expected("joytag", clip_normalised(1.0, 0.5, 0.5)), 2e-4, "joytag_sigmoid red");
}

// Logits or probabilities is read from the model, not guessed from the values of the first batch.
TEST(KnownAnswer, LogitsThatAllLieInsideZeroToOneStillGetTheSigmoid) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto got = tag_probabilities(d.path(), "joytag_unit_logits", "red_448x224.png");
  // Logits 0.1, 0.5, 0.9 (no Sigmoid in the graph): a guess from the values took them for probabilities.
  expect_all_near(got, expected("joytag_unit_logits", clip_normalised(1.0, 0.5, 0.5)), 2e-4, "unit logits");
  EXPECT_NEAR(got["logit_0_5"], 0.6225, 1e-3);
}

TEST(KnownAnswer, AGraphEndingInSoftmaxGivesProbabilities) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto got = tag_probabilities(d.path(), "joytag_softmax", "red_448x224.png");
  // softmax(z) over the labels, z from the same formula as the joytag model's logits.
  auto spec = nlohmann::json::parse(read_all(known_answer_models() / "known_answer.json"));
  const auto m = clip_normalised(1.0, 0.5, 0.5);
  std::map<std::string, double> want;
  double sum = 0;
  for (auto& l : spec["joytag"]) {
    double z = l["b"].get<double>();
    for (int c = 0; c < 3; ++c) z += l["w"][c].get<double>() * m[c];
    sum += want[l["name"]] = std::exp(z);
  }
  for (auto& [name, p] : want) p /= sum;
  expect_all_near(got, want, 2e-4, "joytag_softmax red");
}

TEST(KnownAnswer, AModelDeclaringProbabilitiesInItsMetadataIsNotSquashedTwice) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  // The graph ends in Clip (after its Sigmoid); the metadata tagmetry.output=probabilities says so.
  auto got = tag_probabilities(d.path(), "wd_declared", "red_448x224.png");
  expect_all_near(got, expected("wd", {127.5, 127.5, 255.0}), 2e-4, "wd_declared red");
}

TEST(KnownAnswer, ModelsInfoSaysWhereTheOutputKindWasReadFrom) {
  struct Case {
    std::string model, kind, from;
  };
  for (const Case& c : {Case{"wd", "probabilities", "output from Sigmoid"},
                        Case{"joytag", "logits", "output from Add"},
                        Case{"joytag_softmax", "probabilities", "output from Softmax"},
                        Case{"wd_declared", "probabilities", "metadata tagmetry.output=probabilities"}}) {
    auto r = run_cli({"models", "info", (known_answer_models() / c.model).string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << c.model << ": " << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["read"]["output_kind"], c.kind) << c.model;
    EXPECT_EQ(j["read"]["output_kind_from"], c.from) << c.model;
  }
}

}  // namespace
}  // namespace tagmetry
