// B19: prepare writes its manifest as it goes, stops at the first "disk full", and --resume continues an
// interrupted run with consecutive numbers.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstring>
#include <random>

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "prepare_fixtures.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;
using testing::write_all;

// Noise compresses badly: every prepared PNG is about size * size * 3 bytes.
void write_noise_png(const fs::path& path, int w, int h, unsigned seed) {
  prepare_fixtures::write_image(path, prepare_fixtures::noise(w, h, seed));
}

using prepare_fixtures::listing;

// The first `rows` lines after the header.
std::string manifest_head(const std::string& manifest, int rows) {
  size_t pos = 0;
  for (int i = 0; i <= rows; ++i) pos = manifest.find('\n', pos) + 1;
  return manifest.substr(0, pos);
}

TEST(PrepareResume, ContinuesAnInterruptedRunWithTheSameResult) {
  TempDir dir;
  const fs::path in = dir / "in";
  for (int i = 1; i <= 6; ++i) write_noise_png(in / ("p" + std::to_string(i) + ".png"), 40, 30, i);
  write_all(in / "broken.png", "not an image");
  write_all(in / "p2 copy.png", read_all(in / "p2.png"));
  const std::vector<std::string> args{"--size", "16", "--dedupe"};
  auto prepare = [&](const fs::path& out, std::vector<std::string> more) {
    std::vector<std::string> a{"prepare", in.string(), out.string()};
    a.insert(a.end(), args.begin(), args.end());
    a.insert(a.end(), more.begin(), more.end());
    return run_cli(a);
  };
  auto full = prepare(dir / "full", {});
  ASSERT_EQ(full.exit_code, 1) << full.err;  // broken.png
  const std::string manifest = read_all(dir / "full/manifest.csv");
  // (order: broken, p1, p2, "p2 copy", p3, …: the copy after the plain name)
  ASSERT_NE(manifest.find("\n,p2 copy.png,40,30,"), std::string::npos) << manifest;

  // A run killed after 4 rows (broken, p1, p2, the copy) and the image after them written without its row.
  fs::create_directories(dir / "cut");
  write_all(dir / "cut/manifest.csv", manifest_head(manifest, 4));
  for (const char* f : {"img001.png", "img002.png", "img003.png"}) fs::copy_file(dir / "full" / f, dir / "cut" / f);
  write_all(dir / "cut/img003.png", "half-written leftover");

  auto resumed = prepare(dir / "cut", {"--resume"});
  EXPECT_EQ(resumed.exit_code, 1) << resumed.err;  // broken.png is tried again and fails again
  EXPECT_NE(resumed.out.find("prepared 4 of 5 images"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("resumed: 3 input(s) were done already"), std::string::npos) << resumed.out;
  EXPECT_EQ(listing(dir / "cut"), listing(dir / "full"));
  for (const auto& name : listing(dir / "full"))
    if (name != "manifest.csv") EXPECT_EQ(read_all(dir / "cut" / name), read_all(dir / "full" / name)) << name;
  // The same rows, the kept ones first, then the rest in order (broken.png, tried again, first).
  std::vector<std::string> rows;
  for (size_t pos = 0, end; (end = manifest.find('\n', pos)) != std::string::npos; pos = end + 1)
    rows.push_back(manifest.substr(pos, end - pos + 1));
  ASSERT_EQ(rows.size(), 9u);
  ASSERT_EQ(rows[1].rfind(",broken.png,", 0), 0u) << rows[1];
  std::string expected = rows[0] + rows[2] + rows[3] + rows[4] + rows[1];
  for (size_t i = 5; i < rows.size(); ++i) expected += rows[i];
  EXPECT_EQ(read_all(dir / "cut/manifest.csv"), expected);

  // Nothing left to do.
  auto again = prepare(dir / "cut", {"--resume"});
  EXPECT_NE(again.out.find("prepared 0 of 1 images"), std::string::npos) << again.out;
  EXPECT_EQ(listing(dir / "cut"), listing(dir / "full"));
}

TEST(PrepareResume, NeedsAManifestAndExcludesOverwrite) {
  TempDir dir;
  write_noise_png(dir / "in/a.png", 20, 20, 1);
  auto r = run_cli({"prepare", (dir / "in").string(), (dir / "out").string(), "--resume"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: " + (dir / "out/manifest.csv").string() +
                       ": nothing to resume (no manifest); run without --resume\n");
  r = run_cli({"prepare", (dir / "in").string(), (dir / "out").string(), "--resume", "--overwrite"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--resume and --overwrite: choose one"), std::string::npos) << r.err;
}

// A small tmpfs as OUT: the run stops at the first ENOSPC with exit 2, the images so far are numbered
// consecutively and recorded; --resume after freeing space finishes with the same result as one run.
TEST(PrepareResume, StopsWhenTheDiskIsFullAndResumes) {
  TempDir dir;
  const fs::path in = dir / "in", out = dir / "small", mnt = dir / "small";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=96k") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << "); needs root";
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};
  // 10 inputs of ~12 KiB each once prepared (64x64 noise): about 5 fit in 96 KiB.
  for (int i = 1; i <= 10; ++i) write_noise_png(in / ("n" + std::to_string(i) + ".png"), 64, 64, i);
  auto r = run_cli({"prepare", in.string(), (out / "prep").string(), "--size", "64", "--png-compression", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(": disk full, stopped after writing "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run the same command with --resume to continue"), std::string::npos) << r.err;
  auto files = listing(out / "prep");
  ASSERT_GE(files.size(), 2u);
  ASSERT_LT(files.size(), 11u);
  const size_t written = files.size() - 1;
  for (size_t i = 0; i < written; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "img%03zu.png", i + 1);
    EXPECT_EQ(files[i], name);  // consecutive: nothing skipped after the first failure
  }
  std::string manifest = read_all(out / "prep/manifest.csv");
  EXPECT_EQ(std::count(manifest.begin(), manifest.end(), '\n'), static_cast<long>(written) + 1) << manifest;
  EXPECT_EQ(manifest.find("failed"), std::string::npos) << manifest;

  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT, "size=4m"), 0) << std::strerror(errno);
  r = run_cli({"prepare", in.string(), (out / "prep").string(), "--size", "64", "--png-compression", "0", "--resume"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto whole = run_cli({"prepare", in.string(), (dir / "whole").string(), "--size", "64", "--png-compression", "0"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_EQ(listing(out / "prep"), listing(dir / "whole"));
  EXPECT_EQ(read_all(out / "prep/manifest.csv"), read_all(dir / "whole/manifest.csv"));
}

}  // namespace
}  // namespace tagmetry
