#include "exit_codes.h"

namespace tagmetry::cli {

// Every code is listed (no default) so that a new ErrorCode needs a decision here (-Wswitch).
int exit_code_for(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk: return kExitOk;
    case ErrorCode::kCancelled: return kExitSomeFailed;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kIo:
    case ErrorCode::kCorrupt:
    case ErrorCode::kUnsupported:
    case ErrorCode::kModel:
    case ErrorCode::kNetwork:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kInternal:
    case ErrorCode::kBusy: return kExitUsage;
  }
  return kExitUsage;
}

int item_exit_code_for(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk: return kExitOk;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kModel:
    case ErrorCode::kUnsupported:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kBusy: return kExitUsage;
    case ErrorCode::kIo:
    case ErrorCode::kCorrupt:
    case ErrorCode::kNetwork:
    case ErrorCode::kCancelled:
    case ErrorCode::kInternal: return kExitSomeFailed;
  }
  return kExitSomeFailed;
}

}  // namespace tagmetry::cli
