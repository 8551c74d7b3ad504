#pragma once
// From per-label probabilities to a caption: thresholds (per category, or MCut), undesired tags, max
// tags, rating, order, underscore removal (kaomoji kept), character-tag expansion, replacements.
// Option names follow kohya's tag_images_by_wd14_tagger.py where it has them.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/defaults.h"
#include "tagmetry/labels.h"
#include "tagmetry/options.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct SelectionParams {
  std::optional<double> threshold;            // both categories, unless the specific one is given
  std::optional<double> general_threshold;
  std::optional<double> character_threshold;
  bool mcut = false;                          // automatic thresholds (general, character separately)
  int max_tags = 0;                           // 0 = no limit (rating and always-first tags not counted)
  std::string undesired_tags;                 // "a, b, c"
  std::string always_first_tags;              // "a, b": put first, in this order, when predicted
  bool character_tags_first = false;
  bool remove_underscore = false;
  std::string rating = "none";                // none | first | last
  std::string order = "confidence";           // confidence | model
  bool character_tag_expand = false;
  std::string tag_replacement;                // "a,b;c,d" (\, and \; escape)
  std::string caption_separator = ", ";
  // Per-tag thresholds (tag_thresholds.h): "" none, "learned" from the dataset's review decisions, else a
  // CSV file of `tag,threshold` lines. They replace the category threshold for the tags they name.
  std::string thresholds;
  // Category quotas, so hair and eye colours cannot crowd out everything else (is_colour_tag,
  // is_pose_or_expression_tag): at most this many colour tags, the most likely first (0 = no limit) …
  int max_color_tags = 0;
  // … and when no pose or expression tag passes its threshold, the most likely one scoring at least this
  // is kept anyway (0 = off).
  double pose_expression_floor = 0;
};

// Declares the selection options on any params struct that derives from SelectionParams.
template <class P>
void add_selection_options(OptionSet<P>& set) {
  set.group("Tag selection")
      .add("threshold", &P::threshold, "Threshold for both general and character tags (default: per model)")
      .add("general-threshold", &P::general_threshold, "Threshold for general tags (default: --threshold or the model's)")
      .add("character-threshold", &P::character_threshold, "Threshold for character tags (default: --threshold or the model's)")
      .add("thresholds", &P::thresholds, "Per-tag thresholds: 'learned' (from this folder's review decisions) or a CSV file of tag,threshold lines")
      .add("mcut", &P::mcut, "Automatic thresholds by Maximum Cut (general and character separately; character >= 0.15)")
      .add("max-tags", &P::max_tags, "Keep at most N general+character tags, highest probability first (0 = no limit)")
      .add("max-color-tags", &P::max_color_tags, "Keep at most N hair/eye colour tags, the most likely first (0 = no limit)")
      .add("pose-expression-floor", &P::pose_expression_floor, "When no pose or expression tag passes its threshold, keep the most likely one scoring at least this (0 = off)")
      .add("undesired-tags", &P::undesired_tags, "Comma-separated tags never written")
      .add("always-first-tags", &P::always_first_tags, "Comma-separated tags put first, in the order given, when present")
      .add("character-tags-first", &P::character_tags_first, "Put character tags before general tags")
      .add("remove-underscore", &P::remove_underscore, "Write 'long hair' instead of 'long_hair' (kaomoji such as ^_^ are kept)")
      .add("rating", &P::rating, "Add the most likely rating tag", {"none", "first", "last"})
      .add("order", &P::order, "Tag order: highest probability first, or the model's label order", {"confidence", "model"})
      .add("character-tag-expand", &P::character_tag_expand, "Split 'name_(series)' into 'name' and 'series'")
      .add("tag-replacement", &P::tag_replacement, "Replace tags: 'old,new;old2,new2' (\\, and \\; escape)")
      .add("caption-separator", &P::caption_separator, "Separator between tags in the caption");
}

struct SelectedTag {
  std::string tag;        // as written (after underscore removal / replacement)
  std::string label;      // the model's label
  float probability = 0;
  TagCategory category = TagCategory::kGeneral;
};

// Thresholds actually used (resolved from the params and the model's defaults).
struct Thresholds {
  double general = kDefaultGeneralThreshold;
  double character = kDefaultCharacterThreshold;
};

// The thresholds a selector used: with MCut one pair per image, so a range over `images` images (min and
// max unset while images == 0); without MCut min == max == TagSelector::thresholds() and images == 0.
struct ThresholdRange {
  Thresholds min;
  Thresholds max;
  size_t images = 0;
};

// Maximum Cut threshold: sort descending, take the largest gap between neighbours, return its midpoint.
// Returns 1.0 (nothing passes) for fewer than two values.
double mcut_threshold(std::vector<float> probabilities);

// Validated, pre-parsed selection rules; build once per run (not per image).
class TagSelector {
 public:
  // Errors for malformed --tag-replacement, thresholds outside [0, 1], unknown rating/order values.
  static Result<TagSelector> create(const SelectionParams& params, double model_general, double model_character);

  // Selects tags for one image. `probabilities` has one value per label.
  std::vector<SelectedTag> select(const LabelSet& labels, const std::vector<float>& probabilities) const;

  // The caption text for the selected tags (joined with the caption separator).
  std::string caption(const std::vector<SelectedTag>& tags) const;

  // The thresholds given or the model's defaults; with --mcut only the start point (each image gets its own).
  const Thresholds& thresholds() const { return thresholds_; }
  // Per-tag thresholds (model label → threshold, both spellings of a label accepted) that replace the
  // category's threshold for those labels, also with --mcut. Call before copying the selector to workers.
  void set_tag_thresholds(const std::unordered_map<std::string, double>& thresholds);
  const std::unordered_map<std::string, double>& tag_thresholds() const { return tag_thresholds_; }
  // The lowest threshold any general / character label can pass at: thresholds() lowered by the per-tag
  // ones and the pose/expression floor (what a score prefilter may drop below).
  Thresholds lowest_thresholds() const;
  // The name select() writes for a model label (underscores removed when asked).
  std::string tag_name(const std::string& label) const { return display_name(label); }
  bool mcut() const { return params_.mcut; }
  // The thresholds select() has used so far, by this selector and its copies. Thread-safe.
  ThresholdRange used_thresholds() const;

 private:
  struct Used {
    std::mutex mutex;
    ThresholdRange range;
  };
  std::string display_name(const std::string& label) const;

  SelectionParams params_;
  Thresholds thresholds_;
  std::vector<std::string> undesired_;
  std::vector<std::string> always_first_;
  std::vector<std::pair<std::string, std::string>> replacements_;
  std::unordered_map<std::string, double> tag_thresholds_;  // by label, underscores for spaces
  double min_tag_threshold_ = 2.0;                           // lowest of tag_thresholds_
  std::shared_ptr<Used> used_ = std::make_shared<Used>();  // shared by copies (one per worker thread)
};

// True for hair and eye colour tags ("blue_hair", "light_brown_hair", "red_eyes", "multicolored_hair",
// "heterochromia"), the tags --max-color-tags limits. Spaces or underscores.
bool is_colour_tag(std::string_view tag);

// True for the pose and expression tags --pose-expression-floor keeps one of ("smile", "open_mouth",
// "sitting", "looking_at_viewer", "arms_up", …: a fixed list, see selection.cpp).
bool is_pose_or_expression_tag(std::string_view tag);

// True when `a` and `b` name the same tag, written with underscores or spaces ("long hair" == "long_hair").
bool same_tag(std::string_view a, std::string_view b);

// True for tags such as "^_^", ">_<", "o_o" whose underscores are part of the face, not word breaks.
bool is_kaomoji(std::string_view tag);

// "long_hair" → "long hair" unless the tag is a kaomoji.
std::string remove_underscore(std::string_view tag);

// Merges `new_tags` into an existing caption's tag line without duplicates (underscore and space
// spellings are the same tag); other lines are kept. Returns the new caption text.
std::string append_tags_to_caption(std::string_view existing, const std::vector<std::string>& new_tags,
                                   std::string_view separator);

}  // namespace tagmetry
