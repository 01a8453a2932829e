//! convert: stdin → convsvc → stdout, with the CLI's flags. Exit codes as the CLI's: 0 converted,
//! 1 refused (status and each BadRequest violation on stderr), 3 server unreachable.

use std::{
    io::{self, Read, Write},
    process::ExitCode,
    time::Duration,
};

use clap::Parser;
use convsvc_client::{CallOptions, Refusal, code_name, connect, convert, format_from_name, format_names, pb};
use tonic::Code;

#[derive(Parser)]
#[command(about = "Convert stdin with a convsvc server and write the result to stdout")]
struct Args {
    /// Server address
    #[arg(long, value_name = "HOST:PORT", default_value = "localhost:50051")]
    target: String,
    /// Source format (json, yaml, avro, protobuf, xml)
    #[arg(long = "from", value_parser = parse_format)]
    source: pb::Format,
    /// Target format (json, yaml, avro, protobuf, xml)
    #[arg(long = "to", value_parser = parse_format)]
    target_format: pb::Format,
    /// Source encoding (empty: the format's default)
    #[arg(long, default_value = "")]
    from_encoding: String,
    /// Target encoding (empty: the format's default)
    #[arg(long, default_value = "")]
    to_encoding: String,
    /// fragile refuses any repair or loss; robust repairs and reports
    #[arg(long, default_value = "fragile", value_parser = ["fragile", "robust"])]
    mode: String,
    /// robust: the most repairs, coercions and losses accepted (default: the server's limit)
    #[arg(long, value_name = "N")]
    max_changes: Option<u32>,
    /// Give up after this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    deadline: f64,
    /// A retry with the same key replays the first answer instead of running again
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
}

fn parse_format(name: &str) -> Result<pb::Format, String> {
    format_from_name(name).ok_or_else(|| format!("unknown format (one of: {})", format_names().join(", ")))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let Ok(deadline) = Duration::try_from_secs_f64(args.deadline) else {
        eprintln!("convert: --deadline must be a positive number of seconds");
        return ExitCode::from(2);
    };
    let mut payload = Vec::new();
    if let Err(error) = io::stdin().read_to_end(&mut payload) {
        eprintln!("convert: reading stdin: {error}");
        return ExitCode::from(2);
    }
    let mode = if args.mode == "robust" { pb::Mode::Robust } else { pb::Mode::Fragile };
    let request = pb::ConvertRequest {
        source: Some(pb::FormatSpec { format: args.source.into(), encoding: args.from_encoding, ..Default::default() }),
        target: Some(pb::FormatSpec {
            format: args.target_format.into(),
            encoding: args.to_encoding,
            ..Default::default()
        }),
        payload,
        mode: mode.into(),
        max_changes: args.max_changes,
    };
    let options = CallOptions { deadline: Some(deadline), idempotency_key: args.idempotency_key };

    let mut client = match connect(&args.target).await {
        Ok(client) => client,
        Err(error) => {
            eprintln!("convert: {}: {}", args.target, with_causes(&error));
            return ExitCode::from(3);
        }
    };
    match convert(&mut client, request, &options).await {
        Ok(response) => {
            let response = response.into_inner();
            for issue in response.report.map(|report| report.issues).unwrap_or_default() {
                let code = pb::IssueCode::try_from(issue.code).map_or("ISSUE_CODE_UNKNOWN", |code| code.as_str_name());
                eprintln!("convert: {}: {} at {:?}: {}", severity(issue.severity), code, issue.path, issue.message);
            }
            let mut stdout = io::stdout().lock();
            if let Err(error) = stdout.write_all(&response.payload).and_then(|()| stdout.flush()) {
                eprintln!("convert: writing stdout: {error}");
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(status) if matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded) => {
            eprintln!("convert: {}: {}: {}", args.target, code_name(status.code()), status.message());
            ExitCode::from(3)
        }
        Err(status) => {
            let refusal = Refusal::from_status(&status);
            eprintln!("convert: {}: {}", refusal.code, refusal.message);
            for violation in &refusal.violations {
                eprintln!("{}: {}", violation.field, violation.description);
            }
            ExitCode::from(1)
        }
    }
}

/// The error and its causes, e.g. "transport error: tcp connect error: Connection refused (os error 111)".
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let part = error.to_string();
        if !text.ends_with(&part) {
            text = format!("{text}: {part}");
        }
        cause = error.source();
    }
    text
}

fn severity(number: i32) -> &'static str {
    match pb::Severity::try_from(number) {
        Ok(pb::Severity::Warning) => "warning",
        Ok(pb::Severity::Error) => "error",
        _ => "info",
    }
}
