#pragma once
#include <cstdlib>
// Binds an OptionSet<P> (the single declaration of a params struct's options) to CLI11 flags.
// Values given on the command line are applied over the struct's defaults and environment variables.

#include <CLI/CLI.hpp>
#include <deque>
#include <string>
#include <vector>

#include "tagmetry/operation.h"

namespace tagmetry::cli {

template <class P>
class BoundOptions {
 public:
  // Binds an operation: its summary becomes the command's description, its options the flags.
  BoundOptions(CLI::App& app, const Operation<P>& op) : BoundOptions(app, op.options) {
    if (app.get_description().empty()) app.description(op.info.summary);
  }
  BoundOptions(CLI::App& app, const OptionSet<P>& set) : set_(set) {
    P defaults{};
    for (auto& o : set.options()) {
      Slot& slot = slots_.emplace_back();
      slot.option = &o;
      std::string flag = "--" + o.info.name;
      std::string help = o.info.help;
      if (!o.info.env.empty()) help += " [env: " + o.info.env + "]";
      CLI::Option* opt;
      const bool list = o.info.type == OptionType::kStringList;
      if (o.info.positional) {
        opt = list ? app.add_option(o.info.name, slot.list, o.info.help) : app.add_option(o.info.name, slot.text, o.info.help);
        if (o.info.required) opt->required();
      } else if (list) {
        opt = app.add_option(flag, slot.list, help)->allow_extra_args(false)->type_name("TEXT");
      } else if (o.info.type == OptionType::kFlag) {
        opt = app.add_flag(flag, slot.flag, help);
      } else {
        opt = app.add_option(flag, slot.text, help);
        std::string def = set.get(defaults, o);
        if (def.find_first_of(" \t") != std::string::npos) def = "\"" + def + "\"";  // ", " shows as ", "
        if (!def.empty()) opt->default_str(def);
        if (!o.info.choices.empty()) opt->check(CLI::IsMember(o.info.choices));
        if (o.info.type == OptionType::kInt || o.info.type == OptionType::kOptionalInt) opt->type_name("INT");
        else if (o.info.type == OptionType::kFloat || o.info.type == OptionType::kOptionalFloat) opt->type_name("FLOAT");
        else opt->type_name("TEXT");
      }
      if (!o.info.group.empty()) opt->group(o.info.group);
      slot.cli = opt;
    }
  }

  // True when the option `name` was given on the command line.
  bool given(const std::string& name) const {
    for (auto& slot : slots_)
      if (slot.option->info.name == name)
        return slot.cli->count() > 0 || (!slot.option->info.env.empty() && std::getenv(slot.option->info.env.c_str()));
    return false;
  }

  // Applies environment variables, then the flags that were given, to `params`.
  Status apply(P& params) const {
    TM_RETURN_IF_ERROR(set_.apply_env(params));
    for (auto& slot : slots_) {
      if (slot.cli->count() == 0) continue;
      if (slot.option->info.type == OptionType::kStringList) {
        TM_RETURN_IF_ERROR(set_.set_list(params, slot.option->info.name, slot.list));
        continue;
      }
      const std::string text = slot.option->info.type == OptionType::kFlag ? (slot.flag ? "true" : "false") : slot.text;
      TM_RETURN_IF_ERROR(set_.set(params, slot.option->info.name, text));
    }
    return {};
  }

 private:
  struct Slot {
    const typename OptionSet<P>::Option* option = nullptr;
    CLI::Option* cli = nullptr;
    std::string text;
    std::vector<std::string> list;
    bool flag = false;
  };
  const OptionSet<P>& set_;
  std::deque<Slot> slots_;  // stable addresses: CLI11 keeps pointers into them
};

}  // namespace tagmetry::cli
