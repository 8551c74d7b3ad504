#include "tagmetry/status.h"

namespace tagmetry {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kIo: return "io_error";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kModel: return "model_error";
    case ErrorCode::kNetwork: return "network_error";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kBusy: return "busy";
  }
  return "unknown";
}

Status Status::with_context(const std::string& context) const {
  if (ok() || context.empty()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace tagmetry
