#pragma once
// Whether a folder can be written, asked before a long run rather than learnt from its first failed write.

#include <filesystem>

#include "tagmetry/status.h"

namespace tagmetry {

// Ok when files can be created in `folder`, or, for a folder still to be made, in its nearest existing
// parent (the folder that would be written). Else kIo naming that folder: "F is read-only (Read-only file
// system)", "F is not writable (Permission denied)", or "F: not a folder". Checks with access(2) and
// creates nothing, so a run can refuse before its slow part.
Status check_folder_writable(const std::filesystem::path& folder);

}  // namespace tagmetry
