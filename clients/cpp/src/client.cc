// The convsvc C++ client helpers (see client.h).
#include "client.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>

#include "google/rpc/status.pb.h"

namespace convsvc::client {

std::shared_ptr<grpc::Channel> Connect(const std::string& target) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
}

void CallOptions::ApplyTo(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
  if (!api_key.empty()) context.AddMetadata("authorization", "Bearer " + api_key);
  if (!idempotency_key.empty()) context.AddMetadata("idempotency-key", idempotency_key);
}

Refusal ReadRefusal(const grpc::Status& status) {
  Refusal refusal;
  refusal.code = status.error_code();
  refusal.message = status.error_message();
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return refusal;
  for (const google::protobuf::Any& detail : details.details()) {
    if (google::rpc::ErrorInfo info; detail.UnpackTo(&info)) {
      refusal.reason = info.reason();
      refusal.domain = info.domain();
    } else if (google::rpc::BadRequest bad; detail.UnpackTo(&bad)) {
      refusal.violations.insert(refusal.violations.end(), bad.field_violations().begin(),
                                bad.field_violations().end());
    }
  }
  return refusal;
}

std::string Refusal::FirstField() const { return violations.empty() ? "" : violations.front().field(); }

std::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN_STATUS_CODE";
  }
}

std::optional<v1::Format> ParseFormat(std::string_view name) {
  std::string enum_name = "FORMAT_";
  std::transform(name.begin(), name.end(), std::back_inserter(enum_name),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  v1::Format format;
  if (name.empty() || !v1::Format_Parse(enum_name, &format) || format == v1::FORMAT_UNSPECIFIED) return std::nullopt;
  return format;
}

std::optional<std::string> Trailer(const grpc::ClientContext& context, std::string_view key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto found = trailers.find(grpc::string_ref(key.data(), key.size()));
  if (found == trailers.end()) return std::nullopt;
  return std::string(found->second.data(), found->second.size());
}

std::string NewUuid() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(random));
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return text;
}

}  // namespace convsvc::client
