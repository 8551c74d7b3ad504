#pragma once
// Tag completion from co-occurrence statistics: given the tags chosen for a request, suggest tags that
// commonly go with them in a caption corpus (the user's dataset, or any folder of kohya captions).
// This is the offline replacement for a tag-completion language model.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

class TagCooccurrence {
 public:
  // Reads every caption file under `dir` (recursively; *.txt and *.caption, never *_jp.txt), first
  // line only. Unreadable or non-UTF-8 files are skipped and named in `skipped` (when given).
  // Errors when `dir` is not a folder.
  static Result<TagCooccurrence> from_corpus(const std::filesystem::path& dir,
                                             std::vector<std::string>* skipped = nullptr);

  // Counts one caption's tags (normalised, duplicates ignored); the first is remembered as its opening tag.
  void add_caption(const std::vector<std::string>& tags);

  size_t captions() const { return captions_; }
  // How many captions hold `tag`.
  int64_t frequency(const std::string& tag) const;

  struct Suggestion {
    std::string tag;
    double score = 0;  // mean P(tag | chosen) over the chosen tags the corpus knows, 0..1
  };
  // At most `n` tags not in `chosen` nor in `excluded`, most likely first (ties: more frequent, then
  // name). When the corpus knows none of the chosen tags, the corpus's most frequent tags.
  std::vector<Suggestion> complete(const std::vector<std::string>& chosen, size_t n,
                                   const std::vector<std::string>& excluded = {}) const;

  // The dataset's trigger word: the tag that opens at least 80% of the captions (two or more) and that
  // `is_known_tag` does not recognise (a Danbooru tag such as 1girl opening most captions is not a
  // trigger); "" when there is none. A LoRA dataset's trigger is in every caption, so completion would
  // otherwise suggest it first.
  std::string trigger(const std::function<bool(const std::string&)>& is_known_tag) const;

 private:
  size_t captions_ = 0;
  std::unordered_map<std::string, int64_t> freq_;
  std::unordered_map<std::string, int64_t> opening_;  // tag → captions it opens
  std::unordered_map<std::string, std::unordered_map<std::string, int64_t>> pairs_;
};

}  // namespace tagmetry
