// tagmetry prepare IN OUT: normalise raw images into a training folder (img001.png …) + manifest.csv.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/prepare.h"
#include "tagmetry/progress.h"

namespace tagmetry::cli {
namespace {

nlohmann::json report_json(const PrepareReport& r, const std::string& in, const std::string& out) {
  nlohmann::json j;
  j["input"] = in;
  j["output"] = out;
  j["images"] = r.items.size();
  j["written"] = r.written;
  j["duplicates"] = r.duplicates;
  j["near_duplicates"] = r.near_duplicates;
  j["failed"] = r.failed;
  if (r.resumed) j["resumed"] = r.resumed;
  if (r.ignored_in_subfolders) j["ignored_in_subfolders"] = r.ignored_in_subfolders;
  if (!r.stopped.ok()) j["stopped"] = r.stopped.message();
  j["manifest"] = r.manifest.string();
  j["seconds"] = r.seconds;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& it : r.items) {
    nlohmann::json e{{"source", it.relpath}, {"status", outcome_name(it.outcome)}};
    if (!it.output.empty()) e["file"] = it.output;
    if (it.width) e["width"] = it.width, e["height"] = it.height;
    if (!it.sha256.empty()) e["sha256"] = it.sha256;
    if (!it.duplicate_of.empty()) e["duplicate_of"] = it.duplicate_of;
    if (it.outcome == PrepareItem::Outcome::kNearDuplicate) e["distance"] = it.distance;
    if (!it.error.empty()) e["error"] = it.error;
    if (!it.warning.empty()) e["warning"] = it.warning;
    items.push_back(std::move(e));
  }
  j["items"] = std::move(items);
  return j;
}

RunFunction setup_prepare(CLI::App& sub) {
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("IN", *in, "Folder of raw images (never written to)")->required();
  sub.add_option("OUT", *out, "Output folder (created if missing)")->required();
  sub.add_flag("--json", *json, "Print a JSON summary on stdout");
  auto bound = std::make_shared<BoundOptions<PrepareParams>>(sub, prepare_options());
  return [in, out, json, bound]() {
    PrepareParams p;
    if (Status s = bound->apply(p); !s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    const bool draw = show_progress(*json);
    ProgressReporter progress("prepare", 0, draw);
    auto report = run_prepare(*in, *out, p, [&](const PrepareItem& item, size_t, size_t total) {
      progress.set_total(total);
      if (item.outcome == PrepareItem::Outcome::kFailed || !item.warning.empty()) {
        if (draw) std::fputs("\r\x1b[K", stderr);  // clear the progress line first
        if (item.outcome == PrepareItem::Outcome::kFailed) print_error(item.error);
        else std::fprintf(stderr, "tagmetry: warning: %s\n", item.warning.c_str());
      }
      progress.advance();
    });
    progress.finish();
    if (!report.ok()) {
      print_error(report.status());
      return exit_code_for(report.status());
    }
    const PrepareReport& r = *report;
    if (*json) {
      std::cout << report_json(r, *in, *out).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      for (const auto& it : r.items) {
        if (it.outcome == PrepareItem::Outcome::kDuplicate)
          std::fprintf(stderr, "tagmetry: skipped %s: same content as %s\n", it.relpath.c_str(), it.duplicate_of.c_str());
        else if (it.outcome == PrepareItem::Outcome::kNearDuplicate)
          std::fprintf(stderr, "tagmetry: skipped %s: near duplicate of %s (distance %d)\n", it.relpath.c_str(),
                       it.duplicate_of.c_str(), it.distance);
      }
      if (r.ignored_in_subfolders)
        std::fprintf(stderr, "tagmetry: note: %zu image(s) in subfolders of %s were not read; use --recursive to include them\n",
                     r.ignored_in_subfolders, in->c_str());
      std::printf("prepared %zu of %zu images into %s (%zu duplicates, %zu near duplicates, %zu failed) in %.1fs\n",
                  r.written, r.inputs, out->c_str(), r.duplicates, r.near_duplicates, r.failed, r.seconds);
      if (r.resumed) std::printf("resumed: %zu input(s) were done already (recorded in manifest.csv)\n", r.resumed);
    }
    if (!r.stopped.ok()) {
      print_error(r.stopped);
      return kExitUsage;
    }
    return r.failed > 0 ? kExitSomeFailed : kExitOk;
  };
}

}  // namespace

TAGMETRY_COMMAND("prepare", "Normalise raw images into a training folder (crop/pad/fit, Lanczos, PNG) with a manifest",
                 5, setup_prepare);

}  // namespace tagmetry::cli
