// tagmetry merge OUT.db IN1.db IN2.db …: join shard databases.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/store.h"
#include "tagmetry/store_operations.h"

namespace tagmetry::cli {
namespace {

struct MergeCommand : MergeParams {
  bool json = false;

  int run() {
    namespace fs = std::filesystem;
    for (auto& in : inputs) {
      std::error_code ec;
      if (fs::equivalent(in, out, ec)) {
        print_error(in + ": is the output database itself");
        return kExitUsage;
      }
    }
    auto lock = DatasetLock::acquire(out);
    if (!lock.ok()) {
      print_error(lock.status());
      return exit_code_for(lock.status());
    }
    auto store = Store::open(out, /*create=*/true);
    if (!store.ok()) {
      print_error(store.status());
      return exit_code_for(store.status());
    }
    nlohmann::json merged = nlohmann::json::array();
    int failed = 0;
    for (auto& in : inputs) {
      Status s = (*store)->merge_from(in);
      if (!s.ok()) {
        print_error(s);
        ++failed;
        continue;
      }
      merged.push_back(in);
    }
    size_t scores = 0;
    auto models = (*store)->models();
    if (models.ok())
      for (auto& m : *models) {
        auto hashes = (*store)->hashes_with_scores(m.id);
        if (hashes.ok()) scores += hashes->size();
      }
    auto images = (*store)->images();
    if (json) {
      nlohmann::json j{{"output", out}, {"merged", merged}, {"failed", failed}, {"scores", scores},
                       {"images", images.ok() ? images->size() : 0}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("merged %zu of %zu databases into %s: %zu images, %zu score rows\n", merged.size(), inputs.size(),
                  out.c_str(), images.ok() ? images->size() : 0, scores);
    }
    return failed ? kExitSomeFailed : kExitOk;
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<MergeCommand>();
  auto bound = std::make_shared<BoundOptions<MergeParams>>(app, merge_operation());
  app.get_option("inputs")->check(CLI::ExistingFile);
  app.add_flag("--json", cmd->json, "Print a JSON summary on stdout");
  return [cmd, bound] {
    if (Status s = bound->apply(*cmd); !s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    return cmd->run();
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(merge_operation(), 12, setup);

}  // namespace tagmetry::cli
