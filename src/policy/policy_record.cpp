// The applied caption policy of a dataset (see policy_record.h).
#include "tagmetry/policy_record.h"

#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

fs::path applied_policy_path(const fs::path& root) { return root / ".tagmetry" / "policy.toml"; }

Status record_applied_policy(const fs::path& root, const CaptionPolicy& policy) {
  std::string text = "# The caption policy `tagmetry policy apply` last applied; `tagmetry export kohya` reads\n"
                     "# [train_side_recommendation_kohya] from here.\n";
  text += "[caption_policy]\nname = " + toml_quote(policy.name) + "\n";
  text += "trigger_token = " + toml_quote(policy.trigger_token) + "\n\n";
  text += "[hybrid]\nmode = " + toml_quote(policy.mode) + "\nlines = [";
  for (size_t i = 0; i < policy.lines.size(); ++i) text += (i ? ", " : "") + toml_quote(policy.lines[i]);
  text += "]\n\n[train_side_recommendation_kohya]\n" + policy.kohya.to_toml();
  const fs::path path = applied_policy_path(root);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  return write_file_atomic(path, text);
}

Result<std::optional<CaptionPolicy>> read_applied_policy(const fs::path& root) {
  const fs::path path = applied_policy_path(root);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<CaptionPolicy>();
  TM_ASSIGN_OR_RETURN(CaptionPolicy policy, load_caption_policy(path));
  return std::optional<CaptionPolicy>(std::move(policy));
}

}  // namespace tagmetry
