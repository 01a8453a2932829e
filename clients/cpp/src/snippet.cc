// The C++ snippet of docs/clients.md (the lines between the snippet markers, as they are): one Convert
// call that converts and one that is refused, against the server named by the first argument.
// check.sh runs it and compares what it prints with clients/snippet.expected.

// snippet:start
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "convsvc/v1/conversion.grpc.pb.h"  // generated from proto/ by protoc + grpc_cpp_plugin
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

// The source's JSON Schema: an object whose "id" is an integer.
constexpr char kSchema[] = R"({"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]})";

// Converts `payload` from JSON to YAML and prints the YAML, or why the server refused it.
void Convert(convsvc::v1::ConversionService::Stub& stub, const std::string& payload) {
  convsvc::v1::ConvertRequest request;
  request.mutable_source()->set_format(convsvc::v1::FORMAT_JSON);
  convsvc::v1::InlineSchema* schema = request.mutable_source()->mutable_schema()->mutable_inline_();
  schema->set_type(convsvc::v1::SCHEMA_TYPE_JSON);
  schema->set_text(kSchema);
  request.mutable_target()->set_format(convsvc::v1::FORMAT_YAML);
  request.set_payload(payload);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));  // the call's deadline
  convsvc::v1::ConvertResponse response;
  grpc::Status status = stub.Convert(&context, request, &response);
  if (status.ok()) {
    std::cout << response.payload();
    return;
  }
  if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {  // not a refusal of the payload (UNAVAILABLE, ...)
    std::cerr << "code " << status.error_code() << ": " << status.error_message() << "\n";
    std::exit(1);
  }
  std::cout << "refused: " << status.error_message() << "\n";
  google::rpc::Status details;  // error_details(): the google.rpc.Status of the grpc-status-details-bin trailer
  details.ParseFromString(status.error_details());
  for (const google::protobuf::Any& detail : details.details()) {
    google::rpc::BadRequest bad_request;
    if (detail.UnpackTo(&bad_request)) {  // other detail types are skipped
      for (const google::rpc::BadRequest::FieldViolation& violation : bad_request.field_violations()) {
        std::cout << violation.field() << ": " << violation.description() << "\n";
      }
    }
  }
}

int main(int argc, char** argv) {
  std::string address = argc > 1 ? argv[1] : "localhost:50051";
  auto stub = convsvc::v1::ConversionService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  Convert(*stub, R"({"id": 7})");        // id: 7
  Convert(*stub, R"({"id": "seven"})");  // refused: SCHEMA_VIOLATION at /id: ...
}
// snippet:end
