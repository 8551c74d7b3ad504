#pragma once
// Running the CLI against a folder it cannot write, as root too (CI runs as root). Defined in test_support.cpp.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "test_support.h"

namespace tagmetry::testing {

// What run_cli_read_only ran: the CLI's result, and the words its errors about `folder` should carry
// ("Read-only file system" for a read-only mount, "Permission denied" for a folder it may not write).
struct ReadOnlyRun {
  CommandResult result;
  std::string reason;
};
// Runs the CLI with `folder` read-only to it, whoever runs the tests: for a normal user the folder's write
// permission is taken away; for root (which ignores permissions) `folder` is bind-mounted read-only in a
// private mount namespace (unshare -m), or failing that the CLI runs as user 65534 (setpriv). nullopt,
// with `why_not`, when none of these works here (the caller skips).
std::optional<ReadOnlyRun> run_cli_read_only(const std::filesystem::path& folder, const std::vector<std::string>& args,
                                             std::string* why_not);

}  // namespace tagmetry::testing
