#include "tagmetry/labels.h"

#include <cstdlib>

#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const char* category_name(TagCategory category) {
  switch (category) {
    case TagCategory::kGeneral: return "general";
    case TagCategory::kArtist: return "artist";
    case TagCategory::kCopyright: return "copyright";
    case TagCategory::kCharacter: return "character";
    case TagCategory::kMeta: return "meta";
    case TagCategory::kRating: return "rating";
    case TagCategory::kUnknown: return "unknown";
  }
  return "unknown";
}

namespace {
// Splits one CSV record (RFC 4180 quoting; the label files quote names such as "ok,ok").
std::vector<std::string> csv_fields(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur.push_back('"'), ++i;
      else if (c == '"') quoted = false;
      else cur.push_back(c);
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(std::move(cur));
  return out;
}

bool parse_number(std::string_view text, double& out) {
  std::string t(trim(text));
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return !t.empty() && end == t.c_str() + t.size();
}
}  // namespace

Result<LabelSet> load_wd_labels(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  const std::string name = path.filename().string();
  LabelSet set;
  set.format = "selected_tags.csv";
  auto lines = split(text, "\n");
  size_t line_no = 0;
  bool header_seen = false;
  for (auto& raw : lines) {
    ++line_no;
    if (trim(raw).empty()) continue;
    auto f = csv_fields(raw);
    if (!header_seen) {
      header_seen = true;
      if (f.size() >= 3 && trim(f[1]) == "name") continue;  // "tag_id,name,category,count"
    }
    if (f.size() < 3) return corrupt(name + ":" + std::to_string(line_no) + ": expected tag_id,name,category,count");
    double category = 0, count = 0;
    if (!parse_number(f[2], category))
      return corrupt(name + ":" + std::to_string(line_no) + ": category '" + f[2] + "' is not a number");
    if (f.size() >= 4 && !trim(f[3]).empty() && !parse_number(f[3], count))
      return corrupt(name + ":" + std::to_string(line_no) + ": count '" + f[3] + "' is not a number");
    Label label;
    label.name = std::string(trim(f[1]));
    if (label.name.empty()) return corrupt(name + ":" + std::to_string(line_no) + ": empty tag name");
    label.category = static_cast<TagCategory>(static_cast<int>(category));
    label.count = static_cast<int64_t>(count);
    set.labels.push_back(std::move(label));
  }
  if (set.labels.empty()) return corrupt(name + ": no labels");
  return set;
}

Result<LabelSet> load_joytag_labels(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  LabelSet set;
  set.format = "top_tags.txt";
  for (auto& line : split(text, "\n")) {
    auto t = trim(line);
    if (t.empty()) continue;
    set.labels.push_back(Label{std::string(t), TagCategory::kGeneral, 0});
  }
  if (set.labels.empty()) return corrupt(path.filename().string() + ": no labels");
  return set;
}

}  // namespace tagmetry
