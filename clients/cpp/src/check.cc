// check: the C++ client against a live server ($CONVSVC_ADDRESS, vectors in $CONVSVC_VECTORS): the shared
// vectors byte for byte, a BadRequest read from the status details, an idempotent replay, a deadline and
// a stream. Prints `PASS <check>` for each check that held, otherwise `FAIL <check>` with what was
// expected and what came, and exits 1 when any failed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "client.h"

namespace {

namespace cc = convsvc::client;
namespace v1 = convsvc::v1;
using Clock = std::chrono::steady_clock;
using Mismatches = std::vector<std::string>;  // what went wrong in one check; none means it passed

constexpr std::chrono::seconds kCallDeadline{30};

// Bytes as a quoted, escaped string, cut after 300 bytes.
std::string Shown(std::string_view bytes) {
  std::string shown = "\"";
  for (unsigned char c : bytes.substr(0, 300)) {
    if (c == '"' || c == '\\') {
      shown += '\\';
      shown += static_cast<char>(c);
    } else if (c == '\n') {
      shown += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      shown += static_cast<char>(c);
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      shown += escaped;
    }
  }
  shown += bytes.size() > 300 ? "\"... (" + std::to_string(bytes.size()) + " bytes)" : "\"";
  return shown;
}

// A failed call for a mismatch message: `CODE reason=... field=... (message)`.
std::string Described(const grpc::Status& status) {
  if (status.ok()) return "OK";
  cc::Refusal refusal = cc::ReadRefusal(status);
  std::string described(cc::StatusCodeName(refusal.code));
  if (!refusal.reason.empty()) described += " reason=" + refusal.reason;
  if (!refusal.violations.empty()) described += " field=" + refusal.FirstField();
  return described + " (" + refusal.message + ")";
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

v1::FormatSpec Spec(v1::Format format, const std::string& encoding = "") {
  v1::FormatSpec spec;
  spec.set_format(format);
  spec.set_encoding(encoding);
  return spec;
}

// 1. Every case of manifest.json: its `request` (ProtoJSON) with the `input` bytes as payload answers
// the `output` bytes, or fails with the `error` case's code, ErrorInfo reason and first BadRequest field.
Mismatches CheckVectors(v1::ConversionService::Stub& stub, const std::string& dir, int* passed, int* total) {
  namespace pb = google::protobuf;
  pb::ListValue manifest;  // the manifest itself is plain JSON: read as google.protobuf.ListValue
  if (auto parsed = pb::util::JsonStringToMessage(ReadFile(dir + "/manifest.json"), &manifest); !parsed.ok()) {
    return {"manifest.json: " + parsed.ToString()};
  }
  Mismatches mismatches;
  *passed = 0;
  *total = manifest.values_size();
  if (*total == 0) mismatches.push_back("manifest.json holds no case");
  for (const pb::Value& entry : manifest.values()) {
    const auto& fields = entry.struct_value().fields();
    auto text = [&](const std::string& key, const pb::Struct* in = nullptr) -> std::string {
      const auto& from = in ? in->fields() : fields;
      auto found = from.find(key);
      return found == from.end() ? "" : found->second.string_value();
    };
    const std::string id = text("id");
    auto request_field = fields.find("request");
    if (request_field == fields.end()) {
      mismatches.push_back(id + ": the case has no request");
      continue;
    }
    std::string request_json;
    v1::ConvertRequest request;
    if (auto printed = pb::util::MessageToJsonString(request_field->second, &request_json); !printed.ok()) {
      mismatches.push_back(id + ": " + printed.ToString());
      continue;
    }
    if (auto parsed = pb::util::JsonStringToMessage(request_json, &request); !parsed.ok()) {
      mismatches.push_back(id + ": the request is not a ConvertRequest in ProtoJSON: " + parsed.ToString());
      continue;
    }
    request.set_payload(ReadFile(dir + "/" + text("input")));

    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    v1::ConvertResponse response;
    grpc::Status status = stub.Convert(&context, request, &response);

    if (fields.count("output")) {
      std::string expected = ReadFile(dir + "/" + text("output"));
      if (!status.ok()) {
        mismatches.push_back(id + ": expected " + Shown(expected) + ", got " + Described(status));
      } else if (response.payload() != expected) {
        mismatches.push_back(id + ": expected " + Shown(expected) + ", got " + Shown(response.payload()));
      } else {
        ++*passed;
      }
    } else if (auto error = fields.find("error"); error != fields.end()) {
      const pb::Struct* want = &error->second.struct_value();
      std::string expected = text("code", want) + " reason=" + text("reason", want) + " field=" + text("field", want);
      cc::Refusal refusal = cc::ReadRefusal(status);
      std::string got = std::string(cc::StatusCodeName(refusal.code)) + " reason=" + refusal.reason +
                        " field=" + refusal.FirstField();
      if (status.ok()) {
        mismatches.push_back(id + ": expected " + expected + ", got OK with " + Shown(response.payload()));
      } else if (got != expected) {
        mismatches.push_back(id + ": expected " + expected + ", got " + got + " (" + refusal.message + ")");
      } else {
        ++*passed;
      }
    } else {
      mismatches.push_back(id + ": the case has neither output nor error");
    }
  }
  return mismatches;
}

// 2. A FRAGILE JSON→YAML conversion against an inline JSON Schema requiring an integer id, given a string.
Mismatches CheckBadRequest(v1::ConversionService::Stub& stub) {
  v1::ConvertRequest request;
  *request.mutable_source() = Spec(v1::FORMAT_JSON);
  v1::InlineSchema* schema = request.mutable_source()->mutable_schema()->mutable_inline_();
  schema->set_type(v1::SCHEMA_TYPE_JSON);
  schema->set_text(R"({"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]})");
  *request.mutable_target() = Spec(v1::FORMAT_YAML);
  request.set_mode(v1::MODE_FRAGILE);
  request.set_payload(R"({"id": "seven"})");

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  v1::ConvertResponse response;
  grpc::Status status = stub.Convert(&context, request, &response);
  if (status.ok()) return {"expected INVALID_ARGUMENT, got OK with " + Shown(response.payload())};

  cc::Refusal refusal = cc::ReadRefusal(status);
  Mismatches mismatches;
  auto expect = [&](const std::string& what, const std::string& expected, const std::string& got) {
    if (got != expected) mismatches.push_back(what + ": expected " + Shown(expected) + ", got " + Shown(got));
  };
  expect("status", "INVALID_ARGUMENT", std::string(cc::StatusCodeName(refusal.code)));
  if (refusal.violations.empty()) {
    mismatches.push_back("expected a google.rpc.BadRequest with field violations, got none (" + Described(status) + ")");
  } else {
    expect("BadRequest first violation field", "/id", refusal.violations.front().field());
    expect("BadRequest first violation reason", "SCHEMA_VIOLATION", refusal.violations.front().reason());
  }
  expect("ErrorInfo reason", "SCHEMA_VIOLATION", refusal.reason);
  expect("ErrorInfo domain", "convsvc", refusal.domain);
  return mismatches;
}

// 3. The same JSON→YAML conversion twice with one idempotency key: the second answer is a replay.
Mismatches CheckIdempotentReplay(v1::ConversionService::Stub& stub) {
  v1::ConvertRequest request;
  *request.mutable_source() = Spec(v1::FORMAT_JSON);
  *request.mutable_target() = Spec(v1::FORMAT_YAML);
  request.set_payload(R"({"id": 7})");
  cc::CallOptions options;
  options.idempotency_key = cc::NewUuid();

  Mismatches mismatches;
  for (int call = 1; call <= 2; ++call) {
    grpc::ClientContext context;
    options.ApplyTo(context);
    v1::ConvertResponse response;
    grpc::Status status = stub.Convert(&context, request, &response);
    std::string which = call == 1 ? "first call" : "second call";
    if (!status.ok()) {
      mismatches.push_back(which + ": expected OK, got " + Described(status));
      continue;
    }
    if (response.payload() != "id: 7\n") {
      mismatches.push_back(which + ": expected \"id: 7\\n\", got " + Shown(response.payload()));
    }
    std::optional<std::string> replayed = cc::Trailer(context, "idempotent-replayed");
    if (call == 1 && replayed) {
      mismatches.push_back("first call: expected no idempotent-replayed trailer, got " + Shown(*replayed));
    } else if (call == 2 && replayed != "true") {
      mismatches.push_back("second call: expected the trailer idempotent-replayed: true, got " +
                           (replayed ? Shown(*replayed) : std::string("none")));
    }
  }
  return mismatches;
}

// 4. JSON Lines → JSON Lines of 90 000 records (about 8.7 MB) with a 100 ms deadline.
Mismatches CheckDeadlineExceeded(v1::ConversionService::Stub& stub, long long* elapsed_ms) {
  v1::ConvertRequest request;
  *request.mutable_source() = Spec(v1::FORMAT_JSON, "jsonl");
  *request.mutable_target() = Spec(v1::FORMAT_JSON, "jsonl");
  std::string* payload = request.mutable_payload();
  payload->reserve(9'000'000);
  for (int n = 0; n < 90'000; ++n) {
    std::string number = std::to_string(n);
    *payload += R"({"id": )" + number + R"(, "name": "record number )" + number +
                R"(", "tags": ["a", "b", "c"], "value": 12.5, "ok": true})" + "\n";
  }

  grpc::ClientContext context;
  auto started = Clock::now();
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  v1::ConvertResponse response;
  grpc::Status status = stub.Convert(&context, request, &response);
  *elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
    return {"expected DEADLINE_EXCEEDED for " + std::to_string(payload->size()) + " bytes, got " +
            (status.ok() ? "OK with " + Shown(response.payload()) : Described(status))};
  }
  return {};
}

// 5. ConvertStream JSON → YAML of three records: three answers in order, each one YAML document.
Mismatches CheckStream(v1::ConversionService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  auto stream = stub.ConvertStream(&context);

  v1::ConvertStreamRequest first;
  *first.mutable_spec()->mutable_source() = Spec(v1::FORMAT_JSON);
  *first.mutable_spec()->mutable_target() = Spec(v1::FORMAT_YAML);
  bool written = stream->Write(first);
  for (int n = 1; n <= 3 && written; ++n) {
    v1::ConvertStreamRequest record;
    record.set_record(R"({"n": )" + std::to_string(n) + "}");
    written = stream->Write(record);
  }
  stream->WritesDone();

  std::vector<v1::ConvertStreamResponse> answers;
  for (v1::ConvertStreamResponse answer; stream->Read(&answer);) answers.push_back(answer);
  grpc::Status status = stream->Finish();

  Mismatches mismatches;
  if (!status.ok()) mismatches.push_back("expected the stream to end OK, got " + Described(status));
  if (answers.size() != 3) {
    mismatches.push_back("expected 3 answers, got " + std::to_string(answers.size()));
  }
  for (size_t i = 0; i < answers.size() && i < 3; ++i) {
    const auto& answer = answers[i];
    std::string expected = "---\n'n': " + std::to_string(i + 1) + "\n";
    if (answer.index() != static_cast<int64_t>(i)) {
      mismatches.push_back("answer " + std::to_string(i) + ": expected index " + std::to_string(i) + ", got " +
                           std::to_string(answer.index()));
    }
    if (answer.result_case() != v1::ConvertStreamResponse::kRecord) {
      mismatches.push_back("answer " + std::to_string(i) + ": expected a record, got " +
                           (answer.has_error() ? "the error " + Shown(answer.error().message()) : "nothing"));
    } else if (answer.record() != expected) {
      mismatches.push_back("answer " + std::to_string(i) + ": expected " + Shown(expected) + ", got " +
                           Shown(answer.record()));
    }
  }
  return mismatches;
}

// Prints `PASS <name>[ note]` or `FAIL <name>` and each mismatch; returns whether it passed.
bool Report(const std::string& name, const Mismatches& mismatches, const std::string& note = "") {
  if (mismatches.empty()) {
    std::cout << "PASS " << name << note << std::endl;
    return true;
  }
  std::cout << "FAIL " << name << note << std::endl;
  for (const auto& mismatch : mismatches) std::cout << "  " << mismatch << std::endl;
  return false;
}

}  // namespace

int main() {
  const char* address = std::getenv("CONVSVC_ADDRESS");
  const char* vectors = std::getenv("CONVSVC_VECTORS");
  if (!address || !*address || !vectors || !*vectors) {
    std::cerr << "check: set CONVSVC_ADDRESS (host:port of a live server) and CONVSVC_VECTORS (corpus/vectors)\n";
    return 2;
  }
  auto channel = cc::Connect(address);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::cout << "FAIL no server answers at " << address << " (10 s)" << std::endl;
    return 1;
  }
  auto stub = v1::ConversionService::NewStub(channel);
  bool all = true;
  try {
    int passed = 0, total = 0;
    Mismatches vector_mismatches = CheckVectors(*stub, vectors, &passed, &total);
    all &= Report("vectors", vector_mismatches, " " + std::to_string(passed) + "/" + std::to_string(total));
    all &= Report("bad-request", CheckBadRequest(*stub));
    all &= Report("idempotent-replay", CheckIdempotentReplay(*stub));
    long long elapsed_ms = 0;
    Mismatches deadline_mismatches = CheckDeadlineExceeded(*stub, &elapsed_ms);
    all &= Report("deadline-exceeded", deadline_mismatches, " after " + std::to_string(elapsed_ms) + " ms");
    all &= Report("stream", CheckStream(*stub));
  } catch (const std::exception& error) {
    std::cout << "FAIL " << error.what() << std::endl;
    return 1;
  }
  return all ? 0 : 1;
}
