#pragma once
// A tagger model's label list: one entry per model output, in output order. Read from WD's
// selected_tags.csv (tag_id,name,category,count; ids may be written "470575.0") or JoyTag's
// top_tags.txt (one tag per line).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// Danbooru categories as the WD label files and tagcomplete's CSV number them (the one definition;
// tag_database.h uses it too). kUnknown: a number neither source uses.
enum class TagCategory : int {
  kUnknown = -1,
  kGeneral = 0,
  kArtist = 1,
  kCopyright = 3,
  kCharacter = 4,
  kMeta = 5,
  kRating = 9,
};

// "general", "character", "rating", "artist", "copyright", "meta" or "unknown".
const char* category_name(TagCategory category);

struct Label {
  std::string name;  // Danbooru spelling, underscores ("long_hair")
  TagCategory category = TagCategory::kGeneral;
  int64_t count = 0;  // post count when the file has it, else 0
};

struct LabelSet {
  std::vector<Label> labels;
  std::string format;  // "selected_tags.csv" or "top_tags.txt"

  size_t size() const { return labels.size(); }
};

// Parses selected_tags.csv. Errors name the file and line ("selected_tags.csv:12: expected 4 columns").
Result<LabelSet> load_wd_labels(const std::filesystem::path& path);

// Parses top_tags.txt: every non-empty line is a general tag.
Result<LabelSet> load_joytag_labels(const std::filesystem::path& path);

}  // namespace tagmetry
