// convert: stdin → convsvc's Convert → stdout, with flags like `convsvc convert --target`.
// On a refusal: the status and each BadRequest violation (`field: description`) on stderr, exit 1.
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "client.h"

namespace {

constexpr int kExitOk = 0, kExitRefused = 1, kExitUsage = 2, kExitUnreachable = 3;  // as the Python CLI

constexpr const char* kUsage =
    "usage: convert --from FORMAT --to FORMAT [--target HOST:PORT] [--mode fragile|robust]\n"
    "               [--from-encoding NAME] [--to-encoding NAME] [--deadline SECONDS]\n"
    "               [--idempotency-key KEY] [--api-key KEY] [--request-id ID]  < input > output\n"
    "FORMAT: json, yaml, avro, protobuf, xml. Defaults: --target localhost:50051, --mode fragile,\n"
    "--deadline 30; the API key defaults to $CONVSVC_API_KEY.\n";

int Usage(const std::string& problem) {
  std::cerr << "convert: " << problem << "\n" << kUsage;
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cc = convsvc::client;
  std::map<std::string, std::string> flags = {{"--target", "localhost:50051"}, {"--mode", "fragile"},
                                              {"--deadline", "30"}};
  const std::set<std::string> known = {"--target", "--from", "--to", "--from-encoding", "--to-encoding", "--mode",
                                       "--deadline", "--idempotency-key", "--api-key", "--request-id"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (auto eq = arg.find('='); eq != std::string::npos) {  // --flag=value
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (known.count(arg)) {
      if (i + 1 == argc) return Usage(arg + " needs a value");
      value = argv[++i];
    }
    if (!known.count(arg)) return Usage("unknown argument " + arg);
    flags[arg] = value;
  }

  convsvc::v1::ConvertRequest request;
  for (const char* side : {"--from", "--to"}) {
    if (!flags.count(side)) return Usage(std::string(side) + " is required");
    auto format = cc::ParseFormat(flags[side]);
    if (!format) return Usage("unknown format '" + flags[side] + "' for " + side);
    convsvc::v1::FormatSpec* spec = side == std::string("--from") ? request.mutable_source() : request.mutable_target();
    spec->set_format(*format);
    spec->set_encoding(flags[std::string(side) + "-encoding"]);
  }
  if (flags["--mode"] == "fragile") {
    request.set_mode(convsvc::v1::MODE_FRAGILE);
  } else if (flags["--mode"] == "robust") {
    request.set_mode(convsvc::v1::MODE_ROBUST);
  } else {
    return Usage("--mode is fragile or robust, not '" + flags["--mode"] + "'");
  }

  cc::CallOptions options;
  char* end = nullptr;
  double seconds = std::strtod(flags["--deadline"].c_str(), &end);
  if (end == flags["--deadline"].c_str() || *end != '\0' || !(seconds > 0)) {
    return Usage("--deadline is a positive number of seconds, not '" + flags["--deadline"] + "'");
  }
  options.deadline = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  options.idempotency_key = flags["--idempotency-key"];
  options.request_id = flags["--request-id"].empty() ? cc::NewUuid() : flags["--request-id"];
  const char* env_key = std::getenv("CONVSVC_API_KEY");
  options.api_key = !flags["--api-key"].empty() ? flags["--api-key"] : env_key ? env_key : "";

  request.set_payload(std::string(std::istreambuf_iterator<char>(std::cin), {}));

  auto stub = convsvc::v1::ConversionService::NewStub(cc::Connect(flags["--target"]));
  grpc::ClientContext context;
  options.ApplyTo(context);
  convsvc::v1::ConvertResponse response;
  grpc::Status status = stub->Convert(&context, request, &response);
  if (!status.ok()) {
    cc::Refusal refusal = cc::ReadRefusal(status);
    std::cerr << "convert: " << cc::StatusCodeName(refusal.code) << ": " << refusal.message << "\n";
    for (const auto& violation : refusal.violations) {
      std::cerr << "  " << violation.field() << ": " << violation.description() << "\n";
    }
    std::cerr << "convert: request id: " << cc::Trailer(context, "x-request-id").value_or(options.request_id) << "\n";
    bool unreachable = refusal.code == grpc::StatusCode::UNAVAILABLE || refusal.code == grpc::StatusCode::DEADLINE_EXCEEDED;
    return unreachable ? kExitUnreachable : kExitRefused;
  }
  for (const auto& issue : response.report().issues()) {  // ROBUST: every repair, coercion and loss
    std::string code = convsvc::v1::IssueCode_Name(issue.code());
    std::cerr << "convert: " << code.substr(code.rfind("ISSUE_CODE_", 0) == 0 ? 11 : 0) << " at '" << issue.path()
              << "': " << issue.message() << "\n";
  }
  std::cout << response.payload() << std::flush;
  return std::cout ? kExitOk : kExitRefused;
}
