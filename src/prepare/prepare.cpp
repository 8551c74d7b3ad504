// run_prepare: worker threads decode, resize and encode images; the calling thread commits results in
// input order (duplicate decisions, numbering, atomic writes) so the output is the same for any thread
// count.
#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/image_encode.h"
#include "tagmetry/prepare.h"
#include "tagmetry/sha256.h"
#include "image/vips_image.h"

namespace tagmetry {
namespace fs = std::filesystem;

const OptionSet<PrepareParams>& prepare_options() {
  static const OptionSet<PrepareParams> set = [] {
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
        .group("Input")
        .add("recursive", &PrepareParams::recursive, "Also read images in subfolders of IN")
        .add("dedupe", &PrepareParams::dedupe, "Skip exact duplicates (same file content) and near duplicates")
        .add("dedupe-distance", &PrepareParams::dedupe_distance,
             "Largest dHash Hamming distance (0-64) counted as a near duplicate")
        .group("Performance")
        .add("threads", &PrepareParams::threads, "Worker threads (0 = all cores)", {}, "TAGMETRY_THREADS");
    return s;
  }();
  return set;
}

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

// Fails when any file this run may write already exists (unless overwriting).
Status check_overwrites(const fs::path& out, const std::vector<DatasetItem>& items, const PrepareParams& params,
                        int digits, const char* ext) {
  if (params.overwrite) return {};
  std::vector<std::string> existing;
  std::error_code ec;
  auto check = [&](const std::string& name) {
    if (fs::exists(out / name, ec) && existing.size() < 1000) existing.push_back(name);
  };
  check("manifest.csv");
  for (size_t i = 0; i < items.size(); ++i) {
    TM_ASSIGN_OR_RETURN(std::string stem, expand_name_pattern(params.name_pattern, params.start + static_cast<int>(i),
                                                              digits, items[i].image.stem().string()));
    check(stem + ext);
  }
  if (existing.empty()) return {};
  std::string list;
  for (size_t i = 0; i < existing.size() && i < 3; ++i) list += (i ? ", " : "") + existing[i];
  if (existing.size() > 3) list += ", …";
  return already_exists(out.string() + ": " + std::to_string(existing.size()) + " file(s) would be overwritten (" +
                        list + "); use --overwrite to replace them");
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

  ScanOptions scan;
  scan.recursive = params.recursive;
  TM_ASSIGN_OR_RETURN(Dataset dataset, scan_dataset(in, scan));
  TM_ASSIGN_OR_RETURN(ImageFormat format, parse_image_format(params.format));
  EncodeOptions encode;
  encode.format = format;
  encode.png_compression = params.png_compression;
  encode.quality = params.quality;
  const char* ext = image_format_extension(format);
  const int digits = name_digits(params.start, dataset.items.size());

  TM_RETURN_IF_ERROR(check_overwrites(out, dataset.items, params, digits, ext));
  fs::create_directories(out, ec);
  if (ec) return io_error(out.string() + ": cannot create folder (" + ec.message() + ")");
  {
    const fs::path probe = out / ".tagmetry-write-test";
    Status s = write_file_atomic(probe, "");
    if (!s.ok()) return io_error(out.string() + ": cannot write to the output folder (" + s.message() + ")");
    fs::remove(probe, ec);
  }

  const size_t n = dataset.items.size();
  int threads = params.threads > 0 ? params.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(threads, std::max<size_t>(n, 1)));
  const size_t window = static_cast<size_t>(threads) * 4;  // results held in memory at most

  std::vector<std::optional<Processed>> slots(n);
  std::mutex mu;
  std::condition_variable cv_ready, cv_space;
  size_t next = 0, committed = 0;
  auto worker = [&] {
    while (true) {
      size_t i;
      {
        std::unique_lock lock(mu);
        cv_space.wait(lock, [&] { return next >= n || next < committed + window; });
        if (next >= n) return;
        i = next++;
      }
      Processed r;
      try {
        r = process_one(dataset.items[i], params, encode);
      } catch (const std::exception& e) {
        r.item.source = dataset.items[i].image;
        r.item.relpath = dataset.items[i].relpath;
        r.item.outcome = PrepareItem::Outcome::kFailed;
        r.item.error = dataset.items[i].image.string() + ": " + e.what();
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

  PrepareReport report;
  std::unordered_map<std::string, std::string> by_content;  // sha256 → kept output name
  std::vector<std::pair<uint64_t, std::string>> kept_hashes;
  std::map<std::string, bool> used_names;
  int number = params.start;
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
        for (auto& [hash, name] : kept_hashes) {
          int d = hamming_distance(hash, item.dhash);
          if (d <= params.dedupe_distance) {
            item.outcome = PrepareItem::Outcome::kNearDuplicate;
            item.duplicate_of = name;
            item.distance = d;
            break;
          }
        }
      }
    }
    if (item.outcome == PrepareItem::Outcome::kWritten) {
      auto stem = expand_name_pattern(params.name_pattern, number, digits, item.source.stem().string());
      std::string name = stem.ok() ? *stem + ext : std::string();
      Status s = stem.status();
      if (s.ok() && used_names.count(name))
        s = already_exists(item.source.string() + ": output name " + name + " is already used in this run");
      if (s.ok()) {
        s = write_file_atomic(out / name, r.encoded);
        ++number;  // a name whose write failed is not handed to the next image (it would fail the same way)
      }
      if (s.ok()) {
        item.output = name;
        used_names[name] = true;
        by_content.emplace(item.sha256, name);
        kept_hashes.emplace_back(item.dhash, name);
      } else {
        item.outcome = PrepareItem::Outcome::kFailed;
        item.error = s.message();
      }
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
  for (auto& t : pool) t.join();

  report.manifest = out / "manifest.csv";
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  TM_RETURN_IF_ERROR(write_file_atomic(report.manifest, manifest_csv(report)));
  return report;
}

}  // namespace tagmetry
