//! The convsvc Rust client: stubs generated from ../../proto, a Convert call with the call options the
//! CLI has (deadline, idempotency key), and a refusal read from the status details.

use std::time::Duration;

use tonic::{Code, Request, Response, Status, metadata::MetadataValue, transport::Channel};
use tonic_types::StatusExt;

/// The convsvc.v1 messages (with ProtoJSON serde impls) and the ConversionService client.
pub mod pb {
    #![allow(clippy::all)]
    tonic::include_proto!("convsvc.v1");
    include!(concat!(env!("OUT_DIR"), "/convsvc.v1.serde.rs"));
}

pub use pb::conversion_service_client::ConversionServiceClient;

/// Largest response accepted (tonic's default is 4 MiB; a conversion may grow its input).
const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// A client on a plaintext HTTP/2 channel to `target` (`host:port`).
pub async fn connect(target: &str) -> Result<ConversionServiceClient<Channel>, tonic::transport::Error> {
    let channel =
        Channel::from_shared(format!("http://{target}")).expect("a host:port target is a valid URI").connect().await?;
    Ok(ConversionServiceClient::new(channel).max_decoding_message_size(MAX_RESPONSE_BYTES))
}

/// Per-call options, as the CLI's --deadline and --idempotency-key.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    pub deadline: Option<Duration>,
    pub idempotency_key: Option<String>,
}

impl CallOptions {
    /// `message` wrapped in a request carrying the deadline (`grpc-timeout`) and the metadata.
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        if let Some(deadline) = self.deadline {
            request.set_timeout(deadline);
        }
        if let Some(key) = &self.idempotency_key {
            let value: MetadataValue<_> = key.parse().expect("an idempotency key is printable ASCII");
            request.metadata_mut().insert("idempotency-key", value);
        }
        request
    }
}

/// One Convert call. The response's metadata holds the headers and trailers (e.g. `idempotent-replayed`).
pub async fn convert(
    client: &mut ConversionServiceClient<Channel>,
    request: pb::ConvertRequest,
    options: &CallOptions,
) -> Result<Response<pb::ConvertResponse>, Status> {
    client.convert(options.request(request)).await.map_err(deadline_exceeded_when_timed_out)
}

/// tonic reports its own deadline timer as CANCELLED "Timeout expired"; gRPC's name for it is
/// DEADLINE_EXCEEDED, which is what the server answers when its side of the deadline fires first.
pub fn deadline_exceeded_when_timed_out(status: Status) -> Status {
    let mut cause = std::error::Error::source(&status);
    let mut timed_out = false;
    while let Some(error) = cause {
        timed_out |= error.is::<tonic::TimeoutExpired>();
        cause = error.source();
    }
    let timed_out = timed_out && status.code() == Code::Cancelled;
    if timed_out { Status::deadline_exceeded(format!("client deadline: {}", status.message())) } else { status }
}

/// True when `status` is the client's own deadline timer, rather than the server's answer.
pub fn is_client_deadline(status: &Status) -> bool {
    status.code() == Code::DeadlineExceeded && status.message().starts_with("client deadline: ")
}

/// A refused call as the server describes it: the status and its google.rpc details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The status code name, e.g. `INVALID_ARGUMENT`.
    pub code: &'static str,
    pub message: String,
    /// `google.rpc.ErrorInfo` reason (the IssueCode name) and domain, when present.
    pub reason: Option<String>,
    pub domain: Option<String>,
    /// `google.rpc.BadRequest` field violations: (field as a JSON Pointer, description, reason).
    pub violations: Vec<Violation>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
    pub reason: String,
}

impl Refusal {
    /// Reads `grpc-status-details-bin` (a google.rpc.Status); detail types other than ErrorInfo and
    /// BadRequest (e.g. convsvc.v1.Report) are skipped.
    pub fn from_status(status: &Status) -> Self {
        let info = status.get_details_error_info();
        let violations = status
            .get_details_bad_request()
            .map(|bad_request| bad_request.field_violations)
            .unwrap_or_default()
            .into_iter()
            .map(|v| Violation { field: v.field, description: v.description, reason: v.reason })
            .collect();
        Refusal {
            code: code_name(status.code()),
            message: status.message().to_owned(),
            reason: info.as_ref().map(|info| info.reason.clone()),
            domain: info.map(|info| info.domain),
            violations,
        }
    }
}

/// The canonical gRPC name of a status code, as in google.rpc.Code.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The format a lower-case CLI name stands for (`json` → FORMAT_JSON), from the generated enum.
pub fn format_from_name(name: &str) -> Option<pb::Format> {
    pb::Format::from_str_name(&format!("FORMAT_{}", name.to_ascii_uppercase()))
        .filter(|format| *format != pb::Format::Unspecified)
}

/// The lower-case names of every format, in enum order.
pub fn format_names() -> Vec<String> {
    (1..)
        .map_while(|number| pb::Format::try_from(number).ok())
        .map(|format| format.as_str_name().trim_start_matches("FORMAT_").to_ascii_lowercase())
        .collect()
}
