// Reads the --flags of a kohya-ss sd-scripts command line (a train.sh) the way a POSIX shell splits
// words: backslash-newline joins lines, quotes group, '#' starts a comment at a word's start.
#include "tagmetry/files.h"
#include "tagmetry/kohya_preflight.h"
#include "tagmetry/strings.h"

namespace tagmetry {

std::optional<std::string> KohyaTrainScript::value(const std::string& name) const {
  auto it = args.find(name);
  if (it == args.end()) return std::nullopt;
  return it->second;
}

namespace {

std::vector<std::string> shell_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      if (text[i + 1] == '\n') {
        ++i;
        continue;
      }
      cur += text[++i];
      in_word = true;
    } else if (c == '\'' || c == '"') {
      size_t end = text.find(c, i + 1);
      if (end == std::string_view::npos) end = text.size();
      std::string_view inner = text.substr(i + 1, end - i - 1);
      if (c == '"') cur += replace_all(std::string(inner), "\\\"", "\"");
      else cur += inner;
      i = end;
      in_word = true;
    } else if (c == '#' && !in_word) {
      while (i < text.size() && text[i] != '\n') ++i;
      words.push_back("\n");
    } else if (c == ' ' || c == '\t' || c == '\n' || c == ';') {
      if (in_word) words.push_back(cur), cur.clear(), in_word = false;
      if (c == '\n' || c == ';') words.push_back("\n");
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

}  // namespace

KohyaTrainScript parse_kohya_train_script(std::string_view text) {
  KohyaTrainScript out;
  const std::vector<std::string> words = shell_words(text);
  // The command is the line that names a *.py script; its --flags follow up to the line's end.
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.size() < 4 || w.compare(w.size() - 3, 3, ".py") != 0) continue;
    out.script = w.substr(w.find_last_of('/') == std::string::npos ? 0 : w.find_last_of('/') + 1);
    for (size_t j = i + 1; j < words.size() && words[j] != "\n"; ++j) {
      const std::string& a = words[j];
      if (a.rfind("--", 0) != 0) continue;
      std::string name = a.substr(2);
      std::optional<std::string> value;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (j + 1 < words.size() && words[j + 1] != "\n" && words[j + 1].rfind("--", 0) != 0) {
        value = words[++j];
      }
      out.args[replace_all(name, "-", "_")] = value;
    }
    break;
  }
  return out;
}

namespace {

std::filesystem::path resolve_beside(const std::string& p, const std::filesystem::path& base) {
  std::filesystem::path path(p);
  std::error_code ec;
  if (path.is_relative() && !std::filesystem::exists(path, ec) && std::filesystem::exists(base / path, ec)) return base / path;
  return path;
}

}  // namespace

Result<std::string> apply_kohya_train_script(const std::filesystem::path& dir, KohyaBucketsParams& b) {
  std::filesystem::path path = b.train_script;
  std::error_code ec;
  if (path.empty() && std::filesystem::is_regular_file(dir / "train.sh", ec)) path = dir / "train.sh";
  if (path.empty()) return std::string();
  TM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  const KohyaTrainScript script = parse_kohya_train_script(text);
  if (script.script.empty()) return invalid_argument(path.string() + ": no kohya command (*.py) found");
  auto int_arg = [&](const char* name, int& out) -> Status {
    if (auto v = script.value(name)) {
      char* end = nullptr;
      long n = std::strtol(v->c_str(), &end, 10);
      if (v->empty() || *end) return invalid_argument(path.string() + ": --" + name + " '" + *v + "' is not an integer");
      out = static_cast<int>(n);
    }
    return {};
  };
  if (auto v = script.value("resolution")) b.resolution = *v;
  TM_RETURN_IF_ERROR(int_arg("min_bucket_reso", b.min_bucket_reso));
  TM_RETURN_IF_ERROR(int_arg("max_bucket_reso", b.max_bucket_reso));
  TM_RETURN_IF_ERROR(int_arg("bucket_reso_steps", b.bucket_reso_steps));
  TM_RETURN_IF_ERROR(int_arg("train_batch_size", b.batch_size));
  TM_RETURN_IF_ERROR(int_arg("max_train_steps", b.max_train_steps));
  TM_RETURN_IF_ERROR(int_arg("gradient_accumulation_steps", b.gradient_accumulation_steps));
  if (script.has("max_train_epochs")) {
    int e = 0;
    TM_RETURN_IF_ERROR(int_arg("max_train_epochs", e));
    b.epochs = e;
  }
  b.bucket_no_upscale = script.has("bucket_no_upscale");
  b.no_bucket = !script.has("enable_bucket");  // kohya's default; a config's enable_bucket overrides it
  const std::filesystem::path base = path.parent_path();
  if (b.config.empty())
    if (auto v = script.value("dataset_config")) b.config = resolve_beside(*v, base).string();
  if (b.reg_data_dir.empty())
    if (auto v = script.value("reg_data_dir")) b.reg_data_dir = resolve_beside(*v, base).string();
  return text;
}

}  // namespace tagmetry
