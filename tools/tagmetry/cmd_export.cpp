// tagmetry export kohya DIR OUT: a ready-to-train kohya-ss sd-scripts LoRA project.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/kohya_export.h"
#include "tagmetry/kohya_preflight.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {

RunFunction setup_export(CLI::App& sub) {
  sub.require_subcommand(1);
  CLI::App* kohya = sub.add_subcommand("kohya", "kohya-ss sd-scripts LoRA project: N_trigger class folders, "
                                                "dataset_config.toml, metadata.json, train.sh, sample prompts");
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  kohya->add_option("dir", *dir, "Captioned dataset folder")->required();
  kohya->add_option("out", *out, "Output folder (created)")->required();
  kohya->add_flag("--json", *json, "JSON output");
  auto bound = std::make_shared<BoundOptions<KohyaExportParams>>(*kohya, kohya_export_options());
  return [dir, out, json, bound]() {
    KohyaExportParams p;
    if (Status s = bound->apply(p); !s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    p.caption_extension =
        resolve_caption_extension(*dir, p.recursive, p.caption_extension, bound->given("caption-extension"));
    auto r = kohya_export(*dir, *out, p);
    if (!r.ok()) {
      print_error(r.status());
      return exit_code_for(r.status());
    }
    // What kohya will make of what was written (docs/preflight.md).
    KohyaPreflightParams pre;
    pre.trigger = p.trigger;
    auto check = kohya_preflight(r->out, pre);
    std::vector<std::string> rules;
    if (check.ok())
      for (auto& f : check->findings)
        if (f.severity != "info") rules.push_back(f.rule);
    if (*json) {
      nlohmann::json j{{"out", r->out.string()},       {"images", r->images},       {"captions", r->captions},
                       {"reg_images", r->reg_images},  {"hard_links", r->hard_links}, {"copies", r->copies},
                       {"repeats", r->repeats},        {"total_steps", r->total_steps},
                       {"a1111_prompt", r->a1111_prompt}, {"warnings", r->warnings},
                       {"skipped", r->skipped},        {"triggers_added", r->triggers_added},
                       {"policy", r->policy}};
      if (check.ok())
        j["preflight"] = {{"clean", rules.empty()}, {"rules", rules}, {"max_train_steps", check->steps.max_train_steps}};
      else
        j["preflight"] = {{"error", check.status().message()}};
      std::cout << j.dump(2) << "\n";
    } else {
      for (auto& w : r->warnings) print_warning(w);
      for (auto& w : r->skipped) print_warning("skipped " + w);
      if (!r->skipped.empty()) std::printf("skipped %zu image(s) kohya could not train on (named above)\n", r->skipped.size());
      if (r->triggers_added > 0)
        std::printf("added the trigger to %zu exported caption(s)\n", r->triggers_added);
      if (!r->policy.empty()) std::printf("caption settings of policy %s written to dataset_config.toml\n", r->policy.c_str());
      std::printf("exported %zu images (%zu captions, %zu regularisation) to %s; repeats %d, %lld steps\n",
                  r->images, r->captions, r->reg_images, r->out.string().c_str(), r->repeats, r->total_steps);
      std::printf("train: sh %s/train.sh\n", r->out.string().c_str());
      std::printf("A1111: %s\n", r->a1111_prompt.c_str());
      if (!check.ok())
        std::printf("preflight: %s\n", check.status().message().c_str());
      else if (rules.empty())
        std::printf("preflight: clean; kohya will run %lld steps (%lld epochs)\n", check->steps.max_train_steps,
                    check->steps.epochs);
      else
        std::printf("preflight: %zu finding(s) (%s); see: tagmetry preflight %s\n", rules.size(),
                    join(rules, ", ").c_str(), r->out.string().c_str());
    }
    // Warnings alone are a success; skipped images are items that failed.
    return r->skipped.empty() ? kExitOk : kExitSomeFailed;
  };
}

}  // namespace

TAGMETRY_COMMAND("export", "Export a dataset for training (kohya: folders, dataset_config.toml, train.sh)", 50,
                 setup_export);

}  // namespace tagmetry::cli
