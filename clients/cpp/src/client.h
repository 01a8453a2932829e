// The convsvc C++ client helpers: a channel, call options as metadata, and refusals read from the
// google.rpc.Status a refused call carries in its details.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "convsvc/v1/conversion.grpc.pb.h"
#include "google/rpc/error_details.pb.h"

namespace convsvc::client {

// A plaintext channel to host:port with no limit on the size of answers (converted payloads can be
// larger than gRPC's 4 MiB default).
std::shared_ptr<grpc::Channel> Connect(const std::string& target);

// The metadata and deadline of one call, as the Python CLI's call options.
struct CallOptions {
  std::chrono::milliseconds deadline{30'000};
  std::string idempotency_key;  // `idempotency-key`: a retry with the same key replays the first answer
  std::string api_key;          // `authorization: Bearer KEY`
  std::string request_id;       // `x-request-id` for the server's logs

  // Sets the deadline and metadata on a fresh context (a context serves one call only).
  void ApplyTo(grpc::ClientContext& context) const;
};

// What a refused call says: its status, the google.rpc.ErrorInfo and every google.rpc.BadRequest
// field violation among the details. Detail types it does not know (convsvc.v1.Report, ...) are skipped.
struct Refusal {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  std::string reason;  // ErrorInfo.reason: the issue code name, e.g. "SCHEMA_VIOLATION"
  std::string domain;  // ErrorInfo.domain: "convsvc"
  std::vector<google::rpc::BadRequest::FieldViolation> violations;

  // The first violation's field (a JSON Pointer, or a request field), "" when there is none.
  std::string FirstField() const;
};

// Reads the details of a failed call's status (the `grpc-status-details-bin` trailer).
Refusal ReadRefusal(const grpc::Status& status);

// The canonical name of a status code, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(grpc::StatusCode code);

// The format named as on the CLI ("json", "yaml", "avro", "protobuf", "xml").
std::optional<v1::Format> ParseFormat(std::string_view name);

// The first value of a trailing-metadata key, or nothing when the server did not send it.
std::optional<std::string> Trailer(const grpc::ClientContext& context, std::string_view key);

// A random (version 4) UUID, e.g. for an idempotency key.
std::string NewUuid();

}  // namespace convsvc::client
