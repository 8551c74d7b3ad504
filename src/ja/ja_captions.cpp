// `tagmetry ja DIR`: <stem>_jp.txt reading copies of captions.
#include "tagmetry/ja_captions.h"

#include <algorithm>
#include <optional>

#include "tagmetry/caption_file.h"
#include "tagmetry/caption_journal.h"

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
  // The lock first, so no other run writes between our reads and our writes.
  std::optional<JournaledDataset> opened;
  if (!options.dry_run) {
    TM_ASSIGN_OR_RETURN(JournaledDataset o, open_journaled_dataset(dir, options.db));
    opened.emplace(std::move(o));
  }
  JaCaptionReport report;
  std::vector<fs::path> files = list_captions(dir, options, ec);
  if (ec) return io_error(dir.string() + ": cannot list (" + ec.message() + ")");
  report.captions = files.size();
  if (progress) progress->set_total(files.size());
  std::vector<CaptionWrite> writes;
  std::vector<fs::path> write_source;
  for (auto& file : files) {
    if (progress) progress->advance();
    auto bytes = read_dataset_caption(dir, file);
    if (!bytes.ok() || !bytes->has_value()) {
      report.failed.emplace_back(file, bytes.ok() ? file.string() + ": disappeared" : bytes.status().message());
      continue;
    }
    auto parsed = parse_caption_file(**bytes, file.string());
    if (!parsed.ok()) {
      report.failed.emplace_back(file, parsed.status().message());
      continue;
    }
    CaptionText caption;
    for (auto& line : parsed->lines) caption.lines.push_back(line);
    while (!caption.lines.empty() && trim(caption.lines.back()).empty()) caption.lines.pop_back();
    std::string text = translate_caption(caption, dict, &report.untranslated);
    fs::path out = japanese_caption_path(file);
    auto existing = read_dataset_caption(dir, out);
    if (!existing.ok()) {
      report.failed.emplace_back(file, existing.status().message());
      continue;
    }
    if (existing->has_value()) {
      if (**existing == text) {
        ++report.unchanged;
        continue;
      }
      if (!options.overwrite) {
        report.kept.push_back(out);
        continue;
      }
    }
    CaptionWrite w;
    w.relpath = relative_generic(out, dir);
    w.before = std::move(*existing);
    w.after = text;
    writes.push_back(std::move(w));
    write_source.push_back(file);
  }
  std::vector<Status> results(writes.size());
  if (!options.dry_run && !writes.empty()) {
    CaptionJournal& journal = opened->journal();
    journal.begin_operation("ja", options.command_line);
    TM_ASSIGN_OR_RETURN(results, journal.apply(writes));
  }
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!results[i].ok()) report.failed.emplace_back(write_source[i], results[i].message());
    else ++report.written;
  }
  return report;
}

}  // namespace tagmetry
