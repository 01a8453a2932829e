//! The Rust client against a live server at $CONVSVC_ADDRESS: the shared vectors ($CONVSVC_VECTORS)
//! byte for byte, a BadRequest read with tonic-types, an idempotent replay, a deadline and a stream.
//! Prints one `PASS <check>` (or `FAIL <check>: expected …, got …`) line per check; exits 1 on any FAIL.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use convsvc_client::{
    CallOptions, ConversionServiceClient, Refusal, connect, convert, deadline_exceeded_when_timed_out,
    is_client_deadline, pb,
};
use serde_json::Value;
use tonic::{Code, transport::Channel};

type Client = ConversionServiceClient<Channel>;
type Outcome = Result<String, String>;

const CALL_DEADLINE: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let (Ok(address), Ok(vectors)) = (env::var("CONVSVC_ADDRESS"), env::var("CONVSVC_VECTORS")) else {
        println!("FAIL setup: CONVSVC_ADDRESS (host:port) and CONVSVC_VECTORS (corpus/vectors) must be set");
        return ExitCode::FAILURE;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let mut client = match connect(&address).await {
            Ok(client) => client,
            Err(error) => {
                println!("FAIL setup: cannot connect to {address}: {error}");
                return ExitCode::FAILURE;
            }
        };
        let outcomes = [
            ("vectors", vectors_match_byte_for_byte(&mut client, Path::new(&vectors)).await),
            ("bad-request", schema_violation_carries_bad_request_and_error_info(&mut client).await),
            ("idempotent-replay", same_idempotency_key_replays_the_first_answer(&mut client).await),
            ("deadline-exceeded", big_conversion_past_its_deadline_fails(&mut client).await),
            ("stream", stream_converts_each_record_in_order(&mut client).await),
        ];
        let mut failed = 0;
        for (check, outcome) in &outcomes {
            match outcome {
                Ok(detail) => println!("PASS {check}{detail}"),
                Err(mismatch) => {
                    failed += 1;
                    println!("FAIL {check}: {mismatch}");
                }
            }
        }
        println!("{} passed, {failed} failed", outcomes.len() - failed);
        if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
    })
}

/// Every case of manifest.json: the `request` parsed as ProtoJSON, `payload` = the `input` file;
/// the answer is the `output` file byte for byte, or the `error` case's code, reason and field.
async fn vectors_match_byte_for_byte(client: &mut Client, dir: &Path) -> Outcome {
    let manifest = fs::read_to_string(dir.join("manifest.json")).map_err(|e| format!("manifest.json: {e}"))?;
    let cases: Vec<Value> = serde_json::from_str(&manifest).map_err(|e| format!("manifest.json: {e}"))?;
    let mut mismatches = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        if let Err(mismatch) = vector_case(client, dir, case).await {
            mismatches.push(format!("  {id}: {mismatch}"));
        }
    }
    let passed = cases.len() - mismatches.len();
    if mismatches.is_empty() && !cases.is_empty() {
        Ok(format!(" {passed}/{}", cases.len()))
    } else {
        Err(format!("{passed}/{} cases matched\n{}", cases.len(), mismatches.join("\n")))
    }
}

async fn vector_case(client: &mut Client, dir: &Path, case: &Value) -> Result<(), String> {
    let mut request: pb::ConvertRequest =
        serde_json::from_value(case["request"].clone()).map_err(|e| format!("request is not ProtoJSON: {e}"))?;
    request.payload = read_case_file(dir, &case["input"])?;
    let options = CallOptions { deadline: Some(CALL_DEADLINE), ..Default::default() };
    let answer = convert(client, request, &options).await;
    match (&case["output"], &case["error"], answer) {
        (Value::String(_), _, Ok(response)) => {
            let expected = read_case_file(dir, &case["output"])?;
            let got = response.into_inner().payload;
            if got == expected {
                Ok(())
            } else {
                Err(format!("payload: expected {}, got {}", shown(&expected), shown(&got)))
            }
        }
        (Value::String(_), _, Err(status)) => Err(format!("expected a payload, got {}", described(&status))),
        (_, Value::Object(error), Ok(response)) => {
            Err(format!("expected {}, got the payload {}", error["code"], shown(&response.into_inner().payload)))
        }
        (_, Value::Object(error), Err(status)) => {
            let refusal = Refusal::from_status(&status);
            expect_eq("code", error["code"].as_str().unwrap_or("?"), refusal.code)?;
            expect_eq(
                "ErrorInfo.reason",
                error["reason"].as_str().unwrap_or("?"),
                refusal.reason.as_deref().unwrap_or("(none)"),
            )?;
            let field = refusal.violations.first().map_or("(no BadRequest violation)", |v| v.field.as_str());
            expect_eq("BadRequest field", error["field"].as_str().unwrap_or("?"), field)
        }
        _ => Err("the case has neither `output` nor `error`".into()),
    }
}

/// FRAGILE JSON→YAML against an inline JSON Schema requiring an integer `id`, given a string.
async fn schema_violation_carries_bad_request_and_error_info(client: &mut Client) -> Outcome {
    let schema = r#"{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}"#;
    let request = pb::ConvertRequest {
        source: Some(pb::FormatSpec {
            format: pb::Format::Json.into(),
            schema: Some(pb::SchemaRef {
                r#ref: Some(pb::schema_ref::Ref::Inline(pb::InlineSchema {
                    r#type: pb::SchemaType::Json.into(),
                    text: schema.into(),
                    ..Default::default()
                })),
            }),
            ..Default::default()
        }),
        target: Some(pb::FormatSpec { format: pb::Format::Yaml.into(), ..Default::default() }),
        payload: br#"{"id": "seven"}"#.to_vec(),
        mode: pb::Mode::Fragile.into(),
        ..Default::default()
    };
    let options = CallOptions { deadline: Some(CALL_DEADLINE), ..Default::default() };
    let status = match convert(client, request, &options).await {
        Ok(response) => {
            return Err(format!(
                "expected INVALID_ARGUMENT, got the payload {}",
                shown(&response.into_inner().payload)
            ));
        }
        Err(status) => status,
    };
    let refusal = Refusal::from_status(&status);
    expect_eq("code", "INVALID_ARGUMENT", refusal.code)?;
    let first = refusal.violations.first().ok_or_else(|| format!("expected a BadRequest detail, got {refusal:?}"))?;
    expect_eq("first violation field", "/id", &first.field)?;
    expect_eq("first violation reason", "SCHEMA_VIOLATION", &first.reason)?;
    expect_eq("ErrorInfo.reason", "SCHEMA_VIOLATION", refusal.reason.as_deref().unwrap_or("(no ErrorInfo)"))?;
    expect_eq("ErrorInfo.domain", "convsvc", refusal.domain.as_deref().unwrap_or("(no ErrorInfo)"))?;
    Ok(format!(" ({}: {})", first.field, first.description))
}

/// JSON→YAML of {"id": 7} twice with one fresh idempotency key: the second answer is the replay.
async fn same_idempotency_key_replays_the_first_answer(client: &mut Client) -> Outcome {
    let key = uuid::Uuid::new_v4().to_string();
    let options = CallOptions { deadline: Some(CALL_DEADLINE), idempotency_key: Some(key.clone()) };
    let mut replayed = Vec::new();
    for call in ["first", "second"] {
        let request = json_to_yaml(br#"{"id": 7}"#);
        let response = convert(client, request, &options)
            .await
            .map_err(|status| format!("{call} call: expected a payload, got {}", described(&status)))?;
        let flag = response.metadata().get("idempotent-replayed").map(|v| v.to_str().unwrap_or("?").to_owned());
        expect_eq(&format!("{call} payload"), &shown(b"id: 7\n"), &shown(&response.into_inner().payload))?;
        replayed.push(flag);
    }
    if replayed[0].as_deref() == Some("true") {
        return Err("expected no `idempotent-replayed: true` on the first call, got it".into());
    }
    expect_eq("second call's idempotent-replayed", "Some(\"true\")", &format!("{:?}", replayed[1]))?;
    Ok(format!(" (key {key})"))
}

/// JSON Lines → JSON Lines of 90 000 records (about 8.7 MB) with a 100 ms deadline.
async fn big_conversion_past_its_deadline_fails(client: &mut Client) -> Outcome {
    let mut payload = Vec::with_capacity(9 * 1024 * 1024);
    for n in 0..90_000 {
        payload.extend_from_slice(
            format!("{{\"id\": {n}, \"name\": \"record number {n}\", \"tags\": [\"a\", \"b\", \"c\"], \"value\": 12.5, \"ok\": true}}\n")
                .as_bytes(),
        );
    }
    let jsonl =
        || Some(pb::FormatSpec { format: pb::Format::Json.into(), encoding: "jsonl".into(), ..Default::default() });
    let request = pb::ConvertRequest {
        source: jsonl(),
        target: jsonl(),
        payload,
        mode: pb::Mode::Fragile.into(),
        ..Default::default()
    };
    let options = CallOptions { deadline: Some(Duration::from_millis(100)), ..Default::default() };
    let started = Instant::now();
    let answer = convert(client, request, &options).await;
    let elapsed = started.elapsed().as_millis();
    match answer {
        Err(status) if status.code() == Code::DeadlineExceeded => {
            let side = if is_client_deadline(&status) { "the client's deadline timer" } else { "the server" };
            Ok(format!(" (from {side} after {elapsed} ms)"))
        }
        Err(status) => Err(format!("expected DEADLINE_EXCEEDED, got {}", described(&status))),
        Ok(response) => Err(format!(
            "expected DEADLINE_EXCEEDED, got a {}-byte payload after {elapsed} ms",
            response.into_inner().payload.len()
        )),
    }
}

/// ConvertStream JSON → YAML: the spec, then three records; three answers in order.
async fn stream_converts_each_record_in_order(client: &mut Client) -> Outcome {
    use pb::convert_stream_request::Item;
    let spec = pb::StreamSpec {
        source: Some(pb::FormatSpec { format: pb::Format::Json.into(), ..Default::default() }),
        target: Some(pb::FormatSpec { format: pb::Format::Yaml.into(), ..Default::default() }),
        mode: pb::Mode::Fragile.into(),
        ..Default::default()
    };
    let mut messages = vec![pb::ConvertStreamRequest { item: Some(Item::Spec(spec)) }];
    for n in 1..=3 {
        messages.push(pb::ConvertStreamRequest { item: Some(Item::Record(format!("{{\"n\": {n}}}").into_bytes())) });
    }
    let options = CallOptions { deadline: Some(CALL_DEADLINE), ..Default::default() };
    let mut answers = client
        .convert_stream(options.request(tokio_stream::iter(messages)))
        .await
        .map_err(|status| format!("expected a stream, got {}", described(&deadline_exceeded_when_timed_out(status))))?
        .into_inner();
    let mut got = Vec::new();
    while let Some(answer) = answers.message().await.map_err(|status| {
        format!("after {} answers: {}", got.len(), described(&deadline_exceeded_when_timed_out(status)))
    })? {
        let record = match answer.result {
            Some(pb::convert_stream_response::Result::Record(record)) => shown(&record),
            other => format!("{other:?}"),
        };
        got.push(format!("{} {record}", answer.index));
    }
    let expected: Vec<String> =
        (1..=3).map(|n| format!("{} {}", n - 1, shown(format!("---\n'n': {n}\n").as_bytes()))).collect();
    expect_eq("answers (index record)", &expected.join(", "), &got.join(", "))?;
    Ok(String::new())
}

fn json_to_yaml(payload: &[u8]) -> pb::ConvertRequest {
    pb::ConvertRequest {
        source: Some(pb::FormatSpec { format: pb::Format::Json.into(), ..Default::default() }),
        target: Some(pb::FormatSpec { format: pb::Format::Yaml.into(), ..Default::default() }),
        payload: payload.to_vec(),
        mode: pb::Mode::Fragile.into(),
        ..Default::default()
    }
}

fn read_case_file(dir: &Path, name: &Value) -> Result<Vec<u8>, String> {
    let path: PathBuf = dir.join(name.as_str().ok_or("a case file name is not a string")?);
    fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn expect_eq(what: &str, expected: &str, got: &str) -> Result<(), String> {
    if expected == got { Ok(()) } else { Err(format!("{what}: expected {expected}, got {got}")) }
}

/// Bytes as an escaped string literal, cut at 400 characters.
fn shown(bytes: &[u8]) -> String {
    let text = format!("{:?}", String::from_utf8_lossy(bytes));
    match text.char_indices().nth(400) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], bytes.len()),
        None => text,
    }
}

fn described(status: &tonic::Status) -> String {
    let refusal = Refusal::from_status(status);
    let first = refusal
        .violations
        .first()
        .map_or(String::new(), |v| format!(", first violation {:?}: {}", v.field, v.description));
    format!("{} {:?} (reason {:?}{first})", refusal.code, refusal.message, refusal.reason)
}
