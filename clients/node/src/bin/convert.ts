#!/usr/bin/env node
// `convert`: stdin to stdout through a convsvc server's Convert RPC, with flags like `convsvc convert --target`.
// Exit codes as the CLI's: 0 converted, 1 refused (status and each BadRequest violation on stderr), 2 usage error,
// 3 server unreachable.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConversionError, connect, convert } from "../client";
import {
  Format, type FormatSpec, Mode, type SchemaRef, SchemaType, formatToJSON, severityToJSON,
} from "../gen/convsvc/v1/conversion";

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
const EXIT_UNREACHABLE = 3;

const USAGE = `usage: convert --from FORMAT --to FORMAT [--target HOST:PORT] [--mode fragile|robust]
               [--from-encoding NAME] [--to-encoding NAME] [--from-option NAME=VALUE]... [--to-option NAME=VALUE]...
               [--from-schema FILE] [--to-schema FILE] [--from-message FULL.NAME] [--to-message FULL.NAME]
               [--deadline SECONDS] [--idempotency-key KEY] [--api-key KEY] [--request-id ID]
FORMAT: json, yaml, avro, protobuf, xml. Reads the payload from stdin, writes the converted payload to stdout.`;

class UsageError extends Error {}

// The lower-case format names of the CLI, from the generated enum (FORMAT_JSON -> json).
const FORMATS = new Map(
  Object.values(Format)
    .filter((value): value is Format => typeof value === "number" && value > 0)
    .map((value) => [formatToJSON(value).replace(/^FORMAT_/, "").toLowerCase(), value]),
);
const SCHEMA_FILE_TYPES: Record<string, SchemaType> = {
  avsc: SchemaType.SCHEMA_TYPE_AVRO,
  proto: SchemaType.SCHEMA_TYPE_PROTOBUF,
  json: SchemaType.SCHEMA_TYPE_JSON,
};

function formatOf(name: string | undefined, flag: string): Format {
  const format = name === undefined ? undefined : FORMATS.get(name);
  if (format === undefined) throw new UsageError(`${flag}: one of ${[...FORMATS.keys()].join(", ")} is required`);
  return format;
}

function optionsOf(pairs: string[] | undefined): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`option ${JSON.stringify(pair)} is not NAME=VALUE`);
    options[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return options;
}

function schemaOf(file: string | undefined): SchemaRef | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf-8");
  } catch (error) {
    throw new UsageError(`schema file ${file}: ${(error as Error).message}`);
  }
  const type = SCHEMA_FILE_TYPES[file.slice(file.lastIndexOf(".") + 1).toLowerCase()] ?? SchemaType.SCHEMA_TYPE_UNSPECIFIED;
  return { ref: { $case: "inline", value: { type, text, descriptorSet: Buffer.alloc(0) } } };
}

function specOf(format: Format, encoding: string | undefined, options: string[] | undefined, schema: string | undefined,
                messageType: string | undefined): FormatSpec {
  return {
    format, encoding: encoding ?? "", options: optionsOf(options), schema: schemaOf(schema),
    messageType: messageType ?? "", readerSchema: undefined,
  };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: "string", default: "localhost:50051" },
      from: { type: "string" },
      to: { type: "string" },
      "from-encoding": { type: "string" },
      "to-encoding": { type: "string" },
      "from-option": { type: "string", multiple: true },
      "to-option": { type: "string", multiple: true },
      "from-schema": { type: "string" },
      "to-schema": { type: "string" },
      "from-message": { type: "string" },
      "to-message": { type: "string" },
      mode: { type: "string", default: "fragile" },
      deadline: { type: "string", default: "30" },
      "idempotency-key": { type: "string" },
      "api-key": { type: "string" },
      "request-id": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const mode = { fragile: Mode.MODE_FRAGILE, robust: Mode.MODE_ROBUST }[values.mode!];
  if (mode === undefined) throw new UsageError("--mode: fragile or robust");
  const deadlineSeconds = Number(values.deadline);
  if (!(deadlineSeconds > 0)) throw new UsageError("--deadline: a number of seconds > 0");
  const source = specOf(formatOf(values.from, "--from"), values["from-encoding"], values["from-option"],
                        values["from-schema"], values["from-message"]);
  const target = specOf(formatOf(values.to, "--to"), values["to-encoding"], values["to-option"],
                        values["to-schema"], values["to-message"]);

  const payload = readFileSync(0); // all of stdin
  const client = connect(values.target!);
  try {
    const { response } = await convert(client, { source, target, payload, mode }, {
      deadlineSeconds,
      idempotencyKey: values["idempotency-key"],
      apiKey: values["api-key"] ?? process.env.CONVSVC_API_KEY,
      requestId: values["request-id"],
    });
    for (const issue of response.report?.issues ?? []) {
      const level = severityToJSON(issue.severity).replace(/^SEVERITY_/, "").toLowerCase();
      process.stderr.write(`convert: ${level}: ${issue.path || "/"}: ${issue.message}\n`);
    }
    process.stdout.write(response.payload);
    return 0;
  } catch (error) {
    if (!(error instanceof ConversionError)) throw error;
    process.stderr.write(`convert: ${error.codeName}: ${error.details}\n`);
    for (const violation of error.violations) process.stderr.write(`${violation.field}: ${violation.description}\n`);
    return error.codeName === "UNAVAILABLE" || error.codeName === "DEADLINE_EXCEEDED" ? EXIT_UNREACHABLE : EXIT_REFUSED;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`convert: ${(error as Error).message}\n${usage ? USAGE + "\n" : ""}`);
    process.exitCode = usage ? EXIT_USAGE : EXIT_REFUSED;
  },
);
