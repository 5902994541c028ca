#include "fenlei/status.h"

namespace fenlei {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  return std::string(status_code_name(code_)) + ": " + message_;
}

Status Status::with_context(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

Status invalid_argument_error(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
Status not_found_error(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
Status data_loss_error(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
Status failed_precondition_error(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
Status unimplemented_error(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
Status resource_exhausted_error(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
Status unavailable_error(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
Status deadline_exceeded_error(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

}  // namespace fenlei
