#pragma once
// Error handling for the whole library: a Status (ok, or a code with a message naming the file and the
// problem) and Result<T> (a value or a non-ok Status). Library calls never let exceptions escape.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tagmetry {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // bad option or malformed input text (usage error)
  kNotFound,         // a file, model or tag that does not exist
  kIo,               // read/write failure
  kCorrupt,          // data that exists but cannot be parsed (truncated image, bad CSV)
  kUnsupported,      // valid but not handled (an execution provider this ORT build lacks)
  kModel,            // model and labels do not fit together, or inference failed
  kNetwork,          // download failure
  kCancelled,        // the user interrupted the operation
  kAlreadyExists,    // refusing to overwrite
  kInternal,
  kBusy,             // another process holds the dataset (its lock or its database): nothing done, retry later
};

// Returns a short, stable name for the code ("not_found", "busy"), used in JSON output.
const char* error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message" (e.g. the file name in front).
  Status with_context(const std::string& context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status ok_status() { return {}; }
inline Status invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
inline Status corrupt(std::string m) { return {ErrorCode::kCorrupt, std::move(m)}; }
inline Status unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
inline Status model_error(std::string m) { return {ErrorCode::kModel, std::move(m)}; }
inline Status network_error(std::string m) { return {ErrorCode::kNetwork, std::move(m)}; }
inline Status cancelled(std::string m) { return {ErrorCode::kCancelled, std::move(m)}; }
inline Status already_exists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
inline Status internal_error(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
inline Status busy(std::string m) { return {ErrorCode::kBusy, std::move(m)}; }

// A value of type T, or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::in_place_index<1>, std::move(status)) {}  // NOLINT

  bool ok() const { return data_.index() == 0; }
  // The error; an ok Status when there is a value.
  Status status() const { return ok() ? Status() : std::get<1>(data_); }

  // Precondition: ok().
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace tagmetry

#define TM_CONCAT_INNER(a, b) a##b
#define TM_CONCAT(a, b) TM_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` (a Status) is not ok.
#define TM_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::tagmetry::Status tm_status_ = (expr);      \
    if (!tm_status_.ok()) return tm_status_;     \
  } while (0)

// `lhs = value of expr` when expr (a Result) is ok; otherwise returns its Status.
#define TM_ASSIGN_OR_RETURN(lhs, expr) TM_ASSIGN_OR_RETURN_IMPL(TM_CONCAT(tm_result_, __LINE__), lhs, expr)
#define TM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
