// `tagmetry ja DIR`: <stem>_jp.txt reading copies of captions.
#include "tagmetry/ja_captions.h"

#include <algorithm>

#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

bool is_japanese_caption_name(const fs::path& path) { return path.stem().string().ends_with("_jp"); }

fs::path japanese_caption_path(const fs::path& caption) {
  fs::path out = caption;
  out.replace_filename(caption.stem().string() + "_jp" + caption.extension().string());
  return out;
}

std::string translate_caption(const CaptionText& caption, const JaDictionary& dict,
                              std::map<std::string, int64_t>* untranslated) {
  std::vector<std::string> lines;
  for (auto& line : caption.lines) {
    std::vector<std::string> out;
    for (auto& tag : parse_tags(line)) {
      const std::string* ja = dict.find(tag);
      if (ja) {
        out.push_back(*ja);
      } else {
        out.push_back(tag);
        if (untranslated) ++(*untranslated)[tag];
      }
    }
    lines.push_back(join(out, ", "));
  }
  return join(lines, "\n");
}

namespace {
std::vector<fs::path> list_captions(const fs::path& dir, const JaCaptionOptions& options, std::error_code& ec) {
  std::vector<fs::path> files;
  const std::string ext = to_lower_ascii(options.caption_extension);
  auto consider = [&](const fs::directory_entry& e) {
    if (!e.is_regular_file()) return;
    if (to_lower_ascii(e.path().extension().string()) != ext || is_japanese_caption_name(e.path())) return;
    files.push_back(e.path());
  };
  if (options.recursive) {
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory() && it->path().filename().string().starts_with(".")) {
        it.disable_recursion_pending();
        continue;
      }
      consider(*it);
    }
  } else {
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) consider(*it);
  }
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    return natural_less(relative_generic(a, dir), relative_generic(b, dir));
  });
  return files;
}
}  // namespace

Result<JaCaptionReport> write_japanese_captions(const fs::path& dir, const JaDictionary& dict,
                                                const JaCaptionOptions& options, ProgressReporter* progress) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found(dir.string() + ": not a folder");
  JaCaptionReport report;
  std::vector<fs::path> files = list_captions(dir, options, ec);
  if (ec) return io_error(dir.string() + ": cannot list (" + ec.message() + ")");
  report.captions = files.size();
  if (progress) progress->set_total(files.size());
  for (auto& file : files) {
    if (progress) progress->advance();
    auto caption = read_caption(file);
    if (!caption.ok()) {
      report.failed.emplace_back(file, caption.status().message());
      continue;
    }
    std::string text = translate_caption(caption.value(), dict, &report.untranslated);
    fs::path out = japanese_caption_path(file);
    if (fs::exists(out, ec)) {
      auto existing = read_file(out);
      if (existing.ok() && existing.value() == text) {
        ++report.unchanged;
        continue;
      }
      if (!options.overwrite) {
        report.kept.push_back(out);
        continue;
      }
    }
    if (!options.dry_run) {
      Status s = write_file_atomic(out, text);
      if (!s.ok()) {
        report.failed.emplace_back(file, s.message());
        continue;
      }
    }
    ++report.written;
  }
  return report;
}

}  // namespace tagmetry
