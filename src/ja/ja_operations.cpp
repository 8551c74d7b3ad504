// The declarations of `tagmetry ja` and `tagmetry ja2tags` (include/tagmetry/operation.h).
#include "tagmetry/ja_captions.h"
#include "tagmetry/ja_to_tags.h"

namespace tagmetry {

const Operation<JaParams>& ja_operation() {
  static const Operation<JaParams> op = [] {
    using P = JaParams;
    Operation<P> o;
    o.info = {"ja", "Write <stem>_jp.txt Japanese copies of captions; --lookup for Japanese → tags", "", "ja.md"};
    o.options.positional("dir", &P::dir, "Dataset folder with caption files", /*required=*/false)
        .add("dict", &P::dict, "Extra tag,日本語 CSV entries; they override the built-in dictionary")
        .add("lookup", &P::lookup, "Japanese → tags: print the tags whose Japanese is (or contains) this text")
        .add("recursive", &P::recursive, "Also process caption files in subfolders")
        .add("caption-extension", &P::caption_extension, "Extension of the caption files")
        .add("overwrite", &P::overwrite, "Replace existing _jp files whose content differs")
        .add("dry-run", &P::dry_run, "Report what would be written; write nothing")
        .add("db", &P::db, "Database file holding the journal (default: DIR/.tagmetry/tagmetry.db)")
        .add("json", &P::json, "Print a JSON summary");
    return o;
  }();
  return op;
}

const Operation<Ja2TagsParams>& ja2tags_operation() {
  static const Operation<Ja2TagsParams> op = [] {
    using P = Ja2TagsParams;
    Operation<P> o;
    o.info = {"ja2tags", "Japanese (or English) request → Danbooru tags, offline", "POST /api/ja2tags", "ja2tags.md"};
    o.options
        .positional("text", &P::text, "The request, e.g. 青い髪の女の子が桜の下で笑っている (read from stdin when absent)",
                    /*required=*/false)
        .group("Output")
        .add("json", &P::json, "Print one JSON object: tags (tag, score, category, from) and unmatched words")
        .add("top", &P::top, "Keep at most this many tags (0: all)")
        .add("min-count", &P::min_count, "Drop tags with fewer Danbooru posts than this")
        .group("Data")
        .add("tags-db", &P::tags_db, "Tag list in tagcomplete CSV format (name,category,count,aliases; .gz ok)", {},
             "TAGMETRY_TAGS_DB")
        .add("dict", &P::dict, "Extra tag,日本語 CSV entries (added over the built-in dictionary)")
        .add("mecab-dicdir", &P::mecab_dicdir, "MeCab IPAdic folder (default: the system's ipadic-utf8)", {},
             "TAGMETRY_MECAB_DICDIR")
        .group("Completion")
        .add("complete", &P::complete, "Also suggest this many tags that often go with the chosen ones")
        .add("corpus", &P::corpus, "Folder of caption files for --complete (co-occurrence statistics)")
        .add("complete-model", &P::complete_model,
             "Then extend the tags with this completion model (tagmetry complete: a name, a GGUF or a model folder)");
    return o;
  }();
  return op;
}

}  // namespace tagmetry
