// Status and StatusOr<T>: how every fallible fenlei operation reports failure.
// Library code never throws across the public API and never calls exit() or abort();
// only main() turns a Status into an exit code, and the server into an HTTP status.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace fenlei {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad user input: flags, text, data rows, configs
  kNotFound,            // a file, model or label that does not exist
  kDataLoss,            // truncated or corrupt file (bad checksum, short read)
  kFailedPrecondition,  // right kind of input in the wrong state (float model where int8 expected)
  kUnimplemented,       // e.g. a model file format newer than this build
  kResourceExhausted,   // queue full, input over a size limit
  kUnavailable,         // not ready, draining
  kDeadlineExceeded,    // timed out
  kInternal,            // a bug or an unexpected system failure
};

// Human-readable name of a code, e.g. "INVALID_ARGUMENT".
const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: message" (or "OK").
  std::string to_string() const;

  // Returns a copy whose message is "context: message"; OK stays OK.
  Status with_context(const std::string& context) const;

  // Marks a status as deliberately ignored.
  void ignore() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status invalid_argument_error(std::string message);
Status not_found_error(std::string message);
Status data_loss_error(std::string message);
Status failed_precondition_error(std::string message);
Status unimplemented_error(std::string message);
Status resource_exhausted_error(std::string message);
Status unavailable_error(std::string message);
Status deadline_exceeded_error(std::string message);
Status internal_error(std::string message);

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr constructed from an OK status without a value");
    if (status_.ok()) status_ = internal_error("StatusOr built from OK status without a value");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }

  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace fenlei

#define FENLEI_STATUS_CONCAT_INNER_(a, b) a##b
#define FENLEI_STATUS_CONCAT_(a, b) FENLEI_STATUS_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define FENLEI_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::fenlei::Status fenlei_status_ = (expr);        \
    if (!fenlei_status_.ok()) return fenlei_status_; \
  } while (0)

// `FENLEI_ASSIGN_OR_RETURN(auto x, make_x());` declares x from a StatusOr or returns its error.
#define FENLEI_ASSIGN_OR_RETURN(lhs, expr) \
  FENLEI_ASSIGN_OR_RETURN_IMPL_(FENLEI_STATUS_CONCAT_(fenlei_statusor_, __LINE__), lhs, expr)
#define FENLEI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
