// run_prepare: worker threads decode, resize and encode images; the calling thread commits results in
// input order (duplicate decisions, numbering, atomic writes) so the output is the same for any thread
// count.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/image_encode.h"
#include "tagmetry/prepare.h"
#include "tagmetry/sha256.h"
#include "image/vips_image.h"
#include "prepare_manifest.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const Operation<PrepareParams>& prepare_operation() {
  static const Operation<PrepareParams> op{{"prepare", "Normalise raw images into a training folder (crop/pad/fit, Lanczos, PNG) with a manifest", "", "prepare.md"}, [] {
    OptionSet<PrepareParams> s;
    s.group("Output")
        .add("size", &PrepareParams::size, "Side of the square output (crop, pad) or longest side (fit), pixels")
        .add("mode", &PrepareParams::mode, "crop: centre square; pad: white square around the image; fit: keep aspect",
             {"crop", "pad", "fit"})
        .add("format", &PrepareParams::format, "Output image format (metadata is always removed)",
             {"png", "webp", "jpg"})
        .add("name-pattern", &PrepareParams::name_pattern,
             "Output file name without extension: {n} number (zero-padded), {n:W} width W, {stem} source name")
        .add("start", &PrepareParams::start, "First number for {n}")
        .add("png-compression", &PrepareParams::png_compression, "PNG compression level 0-9 (1 = fastest; 6 = about Pillow's file size, slower)")
        .add("quality", &PrepareParams::quality, "WebP / JPEG quality 1-100")
        .add("overwrite", &PrepareParams::overwrite, "Replace existing files in OUT")
        .add("resume", &PrepareParams::resume,
             "Continue an interrupted run: skip inputs OUT/manifest.csv records, number on from there")
        .group("Input")
        .add("recursive", &PrepareParams::recursive, "Also read images in subfolders of IN")
        .add("dedupe", &PrepareParams::dedupe, "Skip exact duplicates (same file content) and near duplicates")
        .add("dedupe-distance", &PrepareParams::dedupe_distance,
             "Largest dHash Hamming distance (0-64) counted as a near duplicate")
        .group("Performance")
        .add("threads", &PrepareParams::threads, "Worker threads (0 = all cores)", {}, "TAGMETRY_THREADS");
    return s;
  }()};
  return op;
}

const OptionSet<PrepareParams>& prepare_options() { return prepare_operation().options; }

Status validate(const PrepareParams& p) {
  if (p.size < 1 || p.size > 16384) return invalid_argument("--size: must be between 1 and 16384");
  if (p.mode != "crop" && p.mode != "pad" && p.mode != "fit")
    return invalid_argument("--mode: '" + p.mode + "' is not one of crop, pad, fit");
  TM_RETURN_IF_ERROR(parse_image_format(p.format).status());
  if (p.start < 0) return invalid_argument("--start: must be 0 or more");
  if (p.dedupe_distance < 0 || p.dedupe_distance > 64) return invalid_argument("--dedupe-distance: must be 0-64");
  if (p.threads < 0) return invalid_argument("--threads: must be 0 or more");
  if (p.png_compression < 0 || p.png_compression > 9) return invalid_argument("--png-compression: must be 0-9");
  if (p.quality < 1 || p.quality > 100) return invalid_argument("--quality: must be 1-100");
  if (p.resume && p.overwrite) return invalid_argument("--resume and --overwrite: choose one (--overwrite starts over)");
  TM_RETURN_IF_ERROR(expand_name_pattern(p.name_pattern, p.start, 3, "x").status());
  return {};
}

namespace {

struct Processed {
  PrepareItem item;
  std::string encoded;  // output file bytes (empty when failed)
};

// Decodes with orientation and alpha on white into this thread's decode buffer (kept between images, so
// a batch does not page-fault and zero-fill a fresh multi-megabyte buffer per image); in crop mode only
// the centre square is materialised (libvips crops lazily). Sets the oriented source size. The view is
// valid until the thread's next decode.
Result<RgbView> decode_for_prepare(const fs::path& path, std::string_view bytes, const std::string& mode, int& width,
                                   int& height) {
  using namespace image_internal;
  TM_ASSIGN_OR_RETURN(vips::VImage image, open_image_buffer(bytes, path.string(), DecodeOptions{}));
  TM_ASSIGN_OR_RETURN(vips::VImage rgb, to_rgb8(image, true, path.string()));
  width = rgb.width();
  height = rgb.height();
  if (mode == "crop" && width != height) {
    const int side = std::min(width, height);
    try {
      rgb = rgb.crop((width - side) / 2, (height - side) / 2, side, side);
    } catch (const vips::VError& e) {
      vips_error_clear();
      return vips_failure(path.string(), e.what());
    }
  }
  thread_local std::unique_ptr<uint8_t[]> buffer;
  thread_local size_t capacity = 0;
  const size_t need = static_cast<size_t>(rgb.width()) * rgb.height() * 3;
  if (need > capacity) {
    buffer.reset();
    buffer.reset(new uint8_t[need]);  // uninitialised: the decode writes every byte
    capacity = need;
  }
  TM_RETURN_IF_ERROR(materialise_into(rgb, buffer.get(), path.string()));
  return RgbView{buffer.get(), rgb.width(), rgb.height()};
}

Processed process_one(const DatasetItem& input, const PrepareParams& params, const EncodeOptions& encode) {
  Processed r;
  r.item.source = input.image;
  r.item.relpath = input.relpath;
  auto fail = [&](const Status& s) {
    r.item.outcome = PrepareItem::Outcome::kFailed;
    r.item.error = s.message();
    r.encoded.clear();
    return std::move(r);
  };
  auto bytes = read_file(input.image);
  if (!bytes.ok()) return fail(bytes.status());
  r.item.bytes = bytes->size();
  r.item.sha256 = sha256_hex(*bytes);
  // Decoded from the bytes just hashed: the file is read once.
  auto decoded = decode_for_prepare(input.image, *bytes, params.mode, r.item.width, r.item.height);
  bytes.value().clear();
  bytes.value().shrink_to_fit();
  if (!decoded.ok()) return fail(decoded.status());
  RgbImage pixels = prepare_pixels(*decoded, params);
  r.item.dhash = difference_hash(pixels);
  r.item.colours = colour_signature(pixels);
  const int used_side = params.mode == "crop" ? std::min(r.item.width, r.item.height)
                                               : std::max(r.item.width, r.item.height);
  if (used_side > 0 && static_cast<double>(params.size) / used_side > kUpscaleWarningFactor) {
    char factor[32];
    std::snprintf(factor, sizeof factor, "%.1f", static_cast<double>(params.size) / used_side);
    r.item.warning = input.image.string() + ": enlarged " + factor + "x from " + std::to_string(r.item.width) + "x" +
                     std::to_string(r.item.height) + " (it will look blurry; use a larger source or a smaller --size)";
  }
  auto encoded = encode_image(pixels, encode, input.image.string());
  if (!encoded.ok()) return fail(encoded.status());
  r.encoded = std::move(encoded).value();
  r.item.outcome = PrepareItem::Outcome::kWritten;
  return r;
}

bool is_inside(const fs::path& child, const fs::path& parent) {
  auto c = child.begin();
  for (auto p = parent.begin(); p != parent.end(); ++p, ++c) {
    if (p->empty()) continue;  // trailing separator
    if (c == child.end() || *c != *p) return false;
  }
  return true;
}

// Whether the name pattern numbers its files ({n} or {n:W}); otherwise names come from {stem} alone.
bool numbered(const std::string& pattern) {
  return pattern.find("{n}") != std::string::npos || pattern.find("{n:") != std::string::npos;
}

// The output name for the next written image. Numbered names never collide within a run; names made of
// {stem} alone get "_2", "_3", … when `taken` says a name is in use (a.png, a.jpg and sub/a.png).
Result<std::string> pick_name(const PrepareParams& params, int number, int digits, const std::string& stem,
                              const char* ext, const std::function<bool(const std::string&)>& taken) {
  TM_ASSIGN_OR_RETURN(std::string base, expand_name_pattern(params.name_pattern, number, digits, stem));
  std::string name = base + ext;
  if (numbered(params.name_pattern)) return name;
  for (int k = 2; taken(name); ++k) name = base + "_" + std::to_string(k) + ext;
  return name;
}

// Fails when any file this run may write already exists (unless overwriting or resuming).
Status check_overwrites(const fs::path& out, const std::vector<DatasetItem>& items, const PrepareParams& params,
                        int digits, const char* ext) {
  if (params.overwrite || params.resume) return {};
  std::vector<std::string> existing;
  std::error_code ec;
  auto check = [&](const std::string& name) {
    if (fs::exists(out / name, ec) && existing.size() < 1000) existing.push_back(name);
  };
  check("manifest.csv");
  std::set<std::string> names;
  for (size_t i = 0; i < items.size(); ++i) {
    TM_ASSIGN_OR_RETURN(std::string name,
                        pick_name(params, params.start + static_cast<int>(i), digits, items[i].image.stem().string(),
                                  ext, [&](const std::string& n) { return names.count(n) > 0; }));
    names.insert(name);
    check(name);
  }
  if (existing.empty()) return {};
  std::string list;
  for (size_t i = 0; i < existing.size() && i < 3; ++i) list += (i ? ", " : "") + existing[i];
  if (existing.size() > 3) list += ", …";
  return already_exists(out.string() + ": " + std::to_string(existing.size()) + " file(s) would be overwritten (" +
                        list + "); use --overwrite to replace them");
}

// An image kept by --dedupe, that later ones are compared with.
struct KeptImage {
  uint64_t dhash = 0;
  std::array<uint8_t, 48> colours{};
  std::string name;
};

// What a run carries over from the manifest of the run it resumes.
struct Resumed {
  std::string manifest_text{prepare_internal::kManifestHeader};  // header + the rows kept
  std::set<std::string> sources;                                 // relpaths done already
  std::set<std::string> names;                                   // output names written already
  std::unordered_map<std::string, std::string> by_content;       // sha256 → output name
  std::vector<KeptImage> kept;                                   // for --dedupe
  size_t written = 0;
};

// Reads OUT/manifest.csv for --resume: inputs written (whose output still exists) or skipped as duplicates
// are done; failed ones and written ones whose output is missing are tried again.
Result<Resumed> read_resume_state(const fs::path& out, const PrepareParams& params) {
  Resumed r;
  const fs::path path = out / "manifest.csv";
  std::error_code ec;
  if (!fs::exists(path, ec))
    return not_found(path.string() + ": nothing to resume (no manifest); run without --resume");
  TM_ASSIGN_OR_RETURN(auto records, prepare_internal::read_manifest(path));
  for (auto& rec : records) {
    if (rec.status == "failed") continue;
    if (rec.status == "written" && (rec.file.empty() || !fs::is_regular_file(out / rec.file, ec))) continue;
    if (!r.sources.insert(rec.source).second) continue;
    r.manifest_text += rec.row;
    if (rec.status != "written") continue;
    ++r.written;
    r.names.insert(rec.file);
    r.by_content.emplace(rec.sha256, rec.file);
    if (params.dedupe) {
      // The prepared pixels are the output's (exactly so for PNG).
      auto pixels = load_rgb(out / rec.file);
      if (pixels.ok()) r.kept.push_back({difference_hash(*pixels), colour_signature(*pixels), rec.file});
    }
  }
  return r;
}

}  // namespace

Result<PrepareReport> run_prepare(const fs::path& in, const fs::path& out, const PrepareParams& params,
                                  const PrepareProgress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  TM_RETURN_IF_ERROR(validate(params));
  std::error_code ec;
  if (!fs::is_directory(in, ec)) return not_found(in.string() + ": no such folder");
  const fs::path in_abs = fs::weakly_canonical(fs::absolute(in), ec);
  const fs::path out_abs = fs::weakly_canonical(fs::absolute(out), ec);
  if (is_inside(out_abs, in_abs))
    return invalid_argument(out.string() + ": the output folder must not be the input folder or inside it "
                            "(prepare never writes into " + in.string() + ")");
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) return invalid_argument(out.string() + ": not a folder");

  PrepareReport report;
  ScanOptions scan;
  scan.recursive = params.recursive;
  TM_ASSIGN_OR_RETURN(Dataset dataset, scan_dataset(in, scan));
  std::stable_sort(dataset.items.begin(), dataset.items.end(),
                   [](const DatasetItem& a, const DatasetItem& b) { return prepare_order_less(a.relpath, b.relpath); });
  if (!params.recursive) {
    scan.recursive = true;
    auto all = scan_dataset(in, scan);
    if (all.ok() && all->items.size() > dataset.items.size())
      report.ignored_in_subfolders = all->items.size() - dataset.items.size();
  }
  TM_ASSIGN_OR_RETURN(ImageFormat format, parse_image_format(params.format));
  EncodeOptions encode;
  encode.format = format;
  encode.png_compression = params.png_compression;
  encode.quality = params.quality;
  const char* ext = image_format_extension(format);
  const int digits = name_digits(params.start, dataset.items.size());

  Resumed resumed;
  if (params.resume) {
    TM_ASSIGN_OR_RETURN(resumed, read_resume_state(out, params));
  }
  std::vector<DatasetItem> todo;
  for (auto& item : dataset.items) {
    if (resumed.sources.count(item.relpath)) ++report.resumed;
    else todo.push_back(std::move(item));
  }

  TM_RETURN_IF_ERROR(check_overwrites(out, todo, params, digits, ext));
  fs::create_directories(out, ec);
  if (ec) return io_error(out.string() + ": cannot create folder (" + ec.message() + ")");
  {
    const fs::path probe = out / ".tagmetry-write-test";
    Status s = write_file_atomic(probe, "");
    if (!s.ok()) return io_error(out.string() + ": cannot write to the output folder (" + s.message() + ")");
    fs::remove(probe, ec);
  }
  report.manifest = out / "manifest.csv";
  prepare_internal::ManifestWriter manifest;
  TM_RETURN_IF_ERROR(manifest.open(report.manifest, resumed.manifest_text));

  const size_t n = todo.size();
  report.inputs = n;
  int threads = params.threads > 0 ? params.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(threads, std::max<size_t>(n, 1)));
  const size_t window = static_cast<size_t>(threads) * 4;  // results held in memory at most

  std::vector<std::optional<Processed>> slots(n);
  std::mutex mu;
  std::condition_variable cv_ready, cv_space;
  size_t next = 0, committed = 0;
  bool stop = false;
  auto worker = [&] {
    while (true) {
      size_t i;
      {
        std::unique_lock lock(mu);
        cv_space.wait(lock, [&] { return stop || next >= n || next < committed + window; });
        if (stop || next >= n) return;
        i = next++;
      }
      Processed r;
      try {
        r = process_one(todo[i], params, encode);
      } catch (const std::exception& e) {
        r.item.source = todo[i].image;
        r.item.relpath = todo[i].relpath;
        r.item.outcome = PrepareItem::Outcome::kFailed;
        r.item.error = todo[i].image.string() + ": " + e.what();
      }
      {
        std::lock_guard lock(mu);
        slots[i] = std::move(r);
      }
      cv_ready.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  std::unordered_map<std::string, std::string> by_content = std::move(resumed.by_content);  // sha256 → kept name
  std::vector<KeptImage> kept = std::move(resumed.kept);
  std::set<std::string> used_names = std::move(resumed.names);
  int number = params.start + static_cast<int>(resumed.written);
  if (numbered(params.name_pattern)) {
    // After a resume whose manifest lost a row in the middle, skip numbers still in use.
    for (;;) {
      auto name = expand_name_pattern(params.name_pattern, number, digits, "");
      if (!name.ok() || !used_names.count(*name + ext)) break;
      ++number;
    }
  }
  auto disk_full = [&](const Status& s) {
    return io_error(out.string() + ": disk full, stopped after writing " +
                    std::to_string(resumed.written + report.written) + " image(s) (" + s.message() +
                    "); free some space and run the same command with --resume to continue");
  };
  for (size_t i = 0; i < n; ++i) {
    Processed r;
    {
      std::unique_lock lock(mu);
      cv_ready.wait(lock, [&] { return slots[i].has_value(); });
      r = std::move(*slots[i]);
      slots[i].reset();
      committed = i + 1;
    }
    cv_space.notify_all();
    PrepareItem& item = r.item;
    if (item.outcome == PrepareItem::Outcome::kWritten && params.dedupe) {
      if (auto it = by_content.find(item.sha256); it != by_content.end()) {
        item.outcome = PrepareItem::Outcome::kDuplicate;
        item.duplicate_of = it->second;
      } else {
        for (auto& k : kept) {
          int d = hamming_distance(k.dhash, item.dhash);
          if (d <= params.dedupe_distance && colour_distance(k.colours, item.colours) <= kNearDuplicateColourDistance) {
            item.outcome = PrepareItem::Outcome::kNearDuplicate;
            item.duplicate_of = k.name;
            item.distance = d;
            break;
          }
        }
      }
    }
    if (item.outcome == PrepareItem::Outcome::kWritten) {
      auto name = pick_name(params, number, digits, item.source.stem().string(), ext, [&](const std::string& candidate) {
        return used_names.count(candidate) > 0 ||
               (!params.overwrite && !params.resume && fs::exists(out / candidate, ec));
      });
      Status s = name.status();
      if (s.ok() && used_names.count(*name))
        s = already_exists(item.source.string() + ": output name " + *name + " is already used in this run");
      if (s.ok()) {
        s = write_file_atomic(out / *name, r.encoded);
        if (!s.ok() && prepare_internal::is_disk_full(s)) {
          report.stopped = disk_full(s);
          break;
        }
        ++number;  // a name whose write failed is not handed to the next image (it would fail the same way)
      }
      if (s.ok()) {
        item.output = *name;
        used_names.insert(*name);
        by_content.emplace(item.sha256, *name);
        kept.push_back({item.dhash, item.colours, *name});
      } else {
        item.outcome = PrepareItem::Outcome::kFailed;
        item.error = s.message();
      }
    }
    if (Status s = manifest.append(manifest_row(item)); !s.ok()) {
      // The image may be written but is not recorded: --resume writes it again.
      report.stopped = prepare_internal::is_disk_full(s) ? disk_full(s) : s;
      break;
    }
    switch (item.outcome) {
      case PrepareItem::Outcome::kWritten: ++report.written; break;
      case PrepareItem::Outcome::kDuplicate: ++report.duplicates; break;
      case PrepareItem::Outcome::kNearDuplicate: ++report.near_duplicates; break;
      case PrepareItem::Outcome::kFailed: ++report.failed; break;
    }
    if (progress) progress(item, i + 1, n);
    report.items.push_back(std::move(item));
  }
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv_space.notify_all();
  for (auto& t : pool) t.join();

  Status closed = manifest.close();
  if (report.stopped.ok() && !closed.ok()) report.stopped = prepare_internal::is_disk_full(closed) ? disk_full(closed) : closed;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace tagmetry
