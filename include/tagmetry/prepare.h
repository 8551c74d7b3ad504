#pragma once
// `prepare`: turns a folder of raw images into a training folder of square (or fitted) images named
// img001.png, img002.png, … in the source folder's natural order (of the paths without extension, so
// "a.png" comes before "a copy.png"), plus OUT/manifest.csv recording where each came from, written row by
// row as images are written. The reference behaviour is a Pillow script: EXIF orientation, RGB with alpha on white,
// centre crop / white pad / fit, Image.LANCZOS resize, PNG without metadata.
//
// Safety: never writes into the input folder, refuses to overwrite existing output files unless
// `overwrite` is set, writes every file atomically, and reports corrupt inputs by name while the rest
// are processed.

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tagmetry/image.h"
#include "tagmetry/operation.h"
#include "tagmetry/resample.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct PrepareParams {
  int size = 512;                     // target side (crop, pad) or longest side (fit)
  std::string mode = "crop";          // crop | pad | fit
  std::string format = "png";         // png | webp | jpg
  std::string name_pattern = "img{n}";  // {n} number (zero-padded), {n:W} width W, {stem} source stem
  int start = 1;                      // first number
  bool dedupe = false;                // skip exact and near duplicates
  int dedupe_distance = 4;            // max Hamming distance of 64-bit dHashes for a near duplicate
  int threads = 2;                    // worker threads (0 = all cores)
  bool overwrite = false;             // replace existing output files
  bool recursive = false;             // also read images in subfolders of IN
  bool resume = false;                // continue an interrupted run: skip inputs OUT/manifest.csv records
  int png_compression = 1;            // deflate level for PNG output ("sub" row filter)
  int quality = 95;                   // WebP / JPEG quality
};

// The single declaration of prepare's options (CLI flags, server JSON, docs).
// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<PrepareParams>& prepare_operation();
const OptionSet<PrepareParams>& prepare_options();

// Checks ranges and choices; errors are usage errors naming the option.
Status validate(const PrepareParams& params);

// What happened to one input image.
struct PrepareItem {
  enum class Outcome { kWritten, kDuplicate, kNearDuplicate, kFailed };
  Outcome outcome = Outcome::kFailed;
  std::filesystem::path source;  // the input file
  std::string relpath;           // relative to IN, '/' separators
  std::string output;            // output file name (in OUT) when written
  int width = 0;                 // source size after EXIF orientation
  int height = 0;
  uint64_t bytes = 0;            // source file size
  std::string sha256;            // of the source file's bytes
  uint64_t dhash = 0;            // perceptual hash of the prepared image
  std::array<uint8_t, 48> colours{};  // colour_signature of the prepared image
  std::string duplicate_of;      // output name of the kept image (duplicates)
  int distance = 0;              // Hamming distance to it (near duplicates)
  std::string error;             // message naming the file (failures)
  std::string warning;           // message naming the file (written, but worth a look: a large upscale)
};

const char* outcome_name(PrepareItem::Outcome outcome);

struct PrepareReport {
  std::vector<PrepareItem> items;  // one per input finished, in prepare order
  size_t inputs = 0;               // inputs this run had to do (more than items when it stopped early)
  size_t written = 0, duplicates = 0, near_duplicates = 0, failed = 0;
  size_t resumed = 0;               // inputs skipped by --resume (recorded in the manifest already)
  size_t ignored_in_subfolders = 0;  // images in subfolders of IN, not read without --recursive
  // Set when the run stopped before the end (the disk is full): the items so far are written and
  // recorded, the rest are not; run again with --resume after freeing space. The CLI exits 2.
  Status stopped;
  std::filesystem::path manifest;
  double seconds = 0;
};

// Called after each input is finished (from the calling thread, in input order) with the number of
// inputs finished so far and the total.
using PrepareProgress = std::function<void(const PrepareItem&, size_t done, size_t total)>;

// Runs prepare from `in` to `out` (created if missing). Fatal problems (IN missing, OUT inside IN,
// existing output files without overwrite, OUT not writable, --resume without a manifest) return an error
// before anything is written; per-image problems are recorded in the report and the run continues; a full
// disk stops the run (report.stopped). OUT/manifest.csv gets one row per input as soon as it is finished,
// so a killed run keeps the provenance of what it wrote and `resume` can continue it.
Result<PrepareReport> run_prepare(const std::filesystem::path& in, const std::filesystem::path& out,
                                  const PrepareParams& params, const PrepareProgress& progress = {});

// --- building blocks (exposed for tests and the server) -------------------------------------------

// Applies the geometry of `params.mode` and the Lanczos resize to a decoded image (smaller images are
// enlarged, as Pillow's resize does):
//  crop: the centre square of side min(w, h) (offsets (w - s) // 2, (h - s) // 2), resized to size x size;
//  fit:  resized so the longer side is `size`, the shorter round(short * size / long) (Python rounding,
//        at least 1), as Pillow's ImageOps.contain;
//  pad:  the fit image centred on a white size x size square (offset round(margin / 2)), as ImageOps.pad.
RgbImage prepare_pixels(const RgbImage& image, const PrepareParams& params);
// The same for borrowed pixels (resample.h), e.g. a decode buffer reused across images.
RgbImage prepare_pixels(RgbView image, const PrepareParams& params);

// 64-bit difference hash (dHash): grey levels of a 9x8 area-averaged thumbnail, one bit per horizontal
// neighbour pair (bit set when the left pixel is brighter). Robust to re-encoding and resizing.
uint64_t difference_hash(const RgbImage& image);

// Number of differing bits.
int hamming_distance(uint64_t a, uint64_t b);

// Mean colour (R, G, B) of each cell of a 4x4 grid, row by row: what a dHash (grey levels only) cannot see,
// e.g. a red and a grey version of one gradient, or a blue and a green version of one outfit.
std::array<uint8_t, 48> colour_signature(const RgbImage& image);

// Mean over the 16 cells of the Euclidean distance between their colours (0 to 441).
double colour_distance(const std::array<uint8_t, 48>& a, const std::array<uint8_t, 48>& b);

// Near duplicates need a dHash within --dedupe-distance and colours at most this far apart: re-encodes and
// resized copies differ by a few levels, colour variants by far more.
inline constexpr double kNearDuplicateColourDistance = 24.0;

// Enlarging an image by more than this factor gets a warning (a 32x32 icon made 1024x1024 is mostly blur).
inline constexpr double kUpscaleWarningFactor = 2.0;

// Output file stem for number `n` of a run: expands {n} (zero-padded to `digits`), {n:W} and {stem}.
// Errors on unknown placeholders or patterns containing '/' or '\\'.
Result<std::string> expand_name_pattern(const std::string& pattern, int n, int digits, const std::string& stem);

// Digits needed so every number in [start, start + count - 1] has the same width (at least 3).
int name_digits(int start, size_t count);

// The manifest's CSV text: header "file,source,width,height,bytes,sha256,status,note" and one row per
// item (source paths relative to IN). The note is the reason for a skip, or a written image's warning.
std::string manifest_csv(const PrepareReport& report);

// One manifest row (with its newline) for `item`.
std::string manifest_row(const PrepareItem& item);

// The order prepare reads its inputs in: natural order of the relative paths without their extension,
// then of the whole path, so a plain name comes before its copies ("photo.jpg" before "photo copy.jpg"
// and "photo (1).jpg"): --dedupe keeps the plainest name of a set of duplicates.
bool prepare_order_less(const std::string& relpath_a, const std::string& relpath_b);

}  // namespace tagmetry
