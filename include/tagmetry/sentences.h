#pragma once
// Natural-language sentences from Danbooru tags, deterministic and rule-based (no model):
//   {EN_SENTENCE}           "a girl with long blue hair in a school uniform, smiling, outdoors under cherry blossoms"
//   {EN_SENTENCE_DETAILED}  adds eyes, every clothing item, accessories, pose, framing and background
//   {JA_SENTENCE}           "青い長髪の制服の女の子、笑顔、屋外、桜"
// Tags are read in Danbooru spelling ("long_hair"; spaces are accepted too). Tags the rules do not
// know are left out of the sentence (they stay on the tag line).

#include <string>
#include <string_view>
#include <vector>

namespace tagmetry {

class JaDictionary;

struct SentenceOptions {
  // false: no ',' inside the sentence (clauses joined with spaces / "and"), so that kohya's split on
  // the caption separator keeps the whole sentence as one item under shuffle_caption and tag dropout.
  bool commas = true;
  // Used by the Japanese sentence for tags outside the built-in word list; may be null.
  const JaDictionary* ja = nullptr;
};

// What the rules recognised in a tag list, in English words (exposed for tests and the report).
struct SentenceParts {
  std::string subject;                    // "a girl", "two girls", "a girl and a boy", "a scene"
  std::string hair;                       // "long blue hair"
  std::string hair_style;                 // "a ponytail"
  std::string eyes;                       // "red eyes"
  std::vector<std::string> clothing;      // "a school uniform", "a white shirt"
  std::vector<std::string> accessories;   // "a hair ribbon", "glasses"
  std::vector<std::string> expression;    // "smiling", "blushing"
  std::vector<std::string> pose;          // "standing", "looking at the viewer"
  std::vector<std::string> setting;       // "outdoors", "under cherry blossoms"
  std::string framing;                    // "upper body view"
  // Tags each part came from, in Danbooru spelling, for the Japanese sentence.
  std::vector<std::string> subject_tags, hair_tags, eye_tags, clothing_tags, accessory_tags, expression_tags,
      pose_tags, setting_tags;
};

SentenceParts analyze_tags(const std::vector<std::string>& tags);

// The short English sentence: subject, hair, first clothing item, first expression, setting.
std::string english_sentence(const std::vector<std::string>& tags, const SentenceOptions& options = {});
// The detailed English sentence: every recognised part.
std::string english_sentence_detailed(const std::vector<std::string>& tags, const SentenceOptions& options = {});
// The Japanese sentence: "<hair>の<clothing>の<subject>、<expression>、<setting>…" joined with '、'
// (never ',', so it always survives kohya's comma split).
std::string japanese_sentence(const std::vector<std::string>& tags, const SentenceOptions& options = {});

}  // namespace tagmetry
