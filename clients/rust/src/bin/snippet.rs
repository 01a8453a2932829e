//! The Rust snippet of docs/clients.md (the lines between the snippet markers, as they are): one Convert
//! call that converts and one that is refused, against the server named by the first argument.
//! check.sh runs it and compares what it prints with clients/snippet.expected.

// snippet:start
use std::io::Write;
use std::time::Duration;

use convsvc_client::pb; // tonic::include_proto!("convsvc.v1"): the stubs build.rs generates from proto/
use pb::conversion_service_client::ConversionServiceClient;
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt; // reads the google.rpc details: get_details_bad_request, ...

// The source's JSON Schema: an object whose "id" is an integer.
const SCHEMA: &str = r#"{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}"#;

/// Converts `payload` from JSON to YAML and prints the YAML, or why the server refused it.
async fn convert(
    client: &mut ConversionServiceClient<Channel>,
    payload: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut request = tonic::Request::new(pb::ConvertRequest {
        source: Some(pb::FormatSpec {
            format: pb::Format::Json.into(),
            schema: Some(pb::SchemaRef {
                r#ref: Some(pb::schema_ref::Ref::Inline(pb::InlineSchema {
                    r#type: pb::SchemaType::Json.into(),
                    text: SCHEMA.into(),
                    ..Default::default()
                })),
            }),
            ..Default::default()
        }),
        target: Some(pb::FormatSpec { format: pb::Format::Yaml.into(), ..Default::default() }),
        payload: payload.as_bytes().to_vec(),
        ..Default::default()
    });
    request.set_timeout(Duration::from_secs(10)); // the call's deadline
    match client.convert(request).await {
        Ok(response) => std::io::stdout().write_all(&response.into_inner().payload)?,
        // anything else is not a refusal of the payload (UNAVAILABLE, ...)
        Err(status) if status.code() != Code::InvalidArgument => return Err(status.into()),
        Err(status) => {
            println!("refused: {}", status.message());
            // the google.rpc.Status of the grpc-status-details-bin trailer; other detail types are skipped
            if let Some(bad_request) = status.get_details_bad_request() {
                for violation in &bad_request.field_violations {
                    println!("{}: {}", violation.field, violation.description);
                }
            }
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "localhost:50051".into());
    let channel = Channel::from_shared(format!("http://{address}"))?.connect().await?;
    let mut client = ConversionServiceClient::new(channel);
    convert(&mut client, r#"{"id": 7}"#).await?; // id: 7
    convert(&mut client, r#"{"id": "seven"}"#).await?; // refused: SCHEMA_VIOLATION at /id: ...
    Ok(())
}
// snippet:end
