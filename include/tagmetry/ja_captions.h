#pragma once
// `tagmetry ja DIR`: a Japanese reading copy of every caption, <stem>_jp.txt beside <stem>.txt, with
// each tag translated by the JaDictionary in the caption's order and unknown tags kept in English (the
// behaviour of the reference generate_jp_tags step). *_jp.txt files are never read as captions.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tagmetry/caption.h"
#include "tagmetry/ja_dictionary.h"
#include "tagmetry/operation.h"
#include "tagmetry/progress.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct JaCaptionOptions {
  bool recursive = false;
  std::string caption_extension = ".txt";
  bool overwrite = false;  // replace an existing <stem>_jp.txt whose content differs
  bool dry_run = false;    // report only, write nothing (takes no lock)
  std::string db;            // database file holding the journal; empty = DIR/.tagmetry/tagmetry.db
  std::string command_line;  // recorded in the journal
};

// `tagmetry ja DIR` / `tagmetry ja --lookup TEXT`: the caption options and what the CLI adds.
struct JaParams : JaCaptionOptions {
  std::string dir;     // dataset folder (positional; not needed with lookup)
  std::string dict;    // extra tag,日本語 CSV entries over the built-in dictionary
  std::string lookup;  // Japanese → tags instead of writing captions
  bool json = false;
};

// The declaration of `tagmetry ja` (docs/ja.md).
const Operation<JaParams>& ja_operation();

struct JaCaptionReport {
  size_t captions = 0;   // caption files found
  size_t written = 0;    // _jp files created or replaced (or that would be, with dry_run)
  size_t unchanged = 0;  // _jp file already held exactly this text
  std::vector<std::filesystem::path> kept;  // existing, different _jp files left alone (no --overwrite)
  std::vector<std::pair<std::filesystem::path, std::string>> failed;  // (caption, why): not UTF-8, I/O
  std::map<std::string, int64_t> untranslated;  // tag → how many times it stayed English
};

// True for names the ja step writes (<stem>_jp.txt), which are never captions.
bool is_japanese_caption_name(const std::filesystem::path& path);

// The _jp path for a caption: "a/img 1.txt" → "a/img 1_jp.txt".
std::filesystem::path japanese_caption_path(const std::filesystem::path& caption);

// Translates every line of a caption (each a comma-separated tag list): the output line holds the
// translations joined with ", ". Tags the dictionary lacks are kept as written and counted in
// `untranslated` (when given).
std::string translate_caption(const CaptionText& caption, const JaDictionary& dict,
                              std::map<std::string, int64_t>* untranslated = nullptr);

// Writes <stem>_jp.txt for every caption file in `dir` (natural order) as one journaled operation "ja"
// under the dataset lock (`tagmetry undo` removes or restores the _jp files). Bad caption files (not
// UTF-8, unreadable, a symbolic link out of the folder) are reported and skipped; the rest are processed.
// Errors: `dir` is not a readable folder, another run holds the lock (kBusy), a database error.
Result<JaCaptionReport> write_japanese_captions(const std::filesystem::path& dir, const JaDictionary& dict,
                                                const JaCaptionOptions& options, ProgressReporter* progress = nullptr);

}  // namespace tagmetry
