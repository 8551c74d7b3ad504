// TagCooccurrence: tag completion from a caption corpus.
#include "tagmetry/ja_completion.h"

#include <algorithm>
#include <set>

#include "tagmetry/caption.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace fs = std::filesystem;

Result<TagCooccurrence> TagCooccurrence::from_corpus(const fs::path& dir, std::vector<std::string>* skipped) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found(dir.string() + ": not a folder of caption files");
  TagCooccurrence co;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory() && it->path().filename().string().starts_with(".")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::string name = it->path().filename().string();
    std::string ext = to_lower_ascii(it->path().extension().string());
    if ((ext != ".txt" && ext != ".caption") || name.ends_with("_jp.txt")) continue;
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (auto& f : files) {
    auto text = read_text_file(f);
    if (!text.ok()) {
      if (skipped) skipped->push_back(text.status().message());
      continue;
    }
    CaptionText caption = parse_caption_text(text.value());
    co.add_caption(caption.tags());
  }
  return co;
}

void TagCooccurrence::add_caption(const std::vector<std::string>& tags) {
  std::set<std::string> unique;
  std::string first;
  for (auto& t : tags) {
    std::string n = normalize_tag_name(t);
    if (n.empty()) continue;
    if (first.empty()) first = n;
    unique.insert(n);
  }
  if (unique.empty()) return;
  ++captions_;
  ++opening_[first];
  for (auto& a : unique) {
    ++freq_[a];
    auto& row = pairs_[a];
    for (auto& b : unique)
      if (a != b) ++row[b];
  }
}

int64_t TagCooccurrence::frequency(const std::string& tag) const {
  auto it = freq_.find(normalize_tag_name(tag));
  return it == freq_.end() ? 0 : it->second;
}

std::string TagCooccurrence::trigger(const std::function<bool(const std::string&)>& is_known_tag) const {
  for (auto& [tag, opens] : opening_)
    if (opens >= 2 && opens * 5 >= static_cast<int64_t>(captions_) * 4 && !is_known_tag(tag)) return tag;
  return {};
}

std::vector<TagCooccurrence::Suggestion> TagCooccurrence::complete(const std::vector<std::string>& chosen, size_t n,
                                                                   const std::vector<std::string>& excluded) const {
  std::set<std::string> have;
  for (auto& c : chosen) have.insert(normalize_tag_name(c));
  std::set<std::string> skip = have;
  for (auto& e : excluded) skip.insert(normalize_tag_name(e));
  std::unordered_map<std::string, double> score;
  size_t known = 0;
  for (auto& c : have) {
    auto f = freq_.find(c);
    auto row = pairs_.find(c);
    if (f == freq_.end() || row == pairs_.end()) continue;
    ++known;
    for (auto& [tag, together] : row->second) {
      if (!skip.count(tag)) score[tag] += static_cast<double>(together) / static_cast<double>(f->second);
    }
  }
  std::vector<Suggestion> out;
  if (known == 0) {
    for (auto& [tag, f] : freq_)
      if (!skip.count(tag)) out.push_back({tag, captions_ ? static_cast<double>(f) / captions_ : 0});
  } else {
    for (auto& [tag, s] : score) out.push_back({tag, s / static_cast<double>(known)});
  }
  std::sort(out.begin(), out.end(), [&](const Suggestion& a, const Suggestion& b) {
    if (a.score != b.score) return a.score > b.score;
    int64_t fa = freq_.at(a.tag), fb = freq_.at(b.tag);
    if (fa != fb) return fa > fb;
    return a.tag < b.tag;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace tagmetry
