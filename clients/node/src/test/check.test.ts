// The Node client against a live server ($CONVSVC_ADDRESS): the shared vectors byte for byte, a BadRequest read
// from the status details, an idempotent replay, a deadline and a stream. Prints one `PASS <check>` line per check.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { ConversionError, connect, convert, convertStream } from "../client";
import { ConvertRequest, Format, type FormatSpec, Mode, SchemaType } from "../gen/convsvc/v1/conversion";

const address = process.env.CONVSVC_ADDRESS;
const vectors = process.env.CONVSVC_VECTORS;
if (!address || !vectors) throw new Error("CONVSVC_ADDRESS (host:port) and CONVSVC_VECTORS (corpus/vectors) must be set");

const client = connect(address);
after(() => client.close());

function spec(format: Format, more: Partial<FormatSpec> = {}): FormatSpec {
  return { format, encoding: "", options: {}, schema: undefined, messageType: "", readerSchema: undefined, ...more };
}

function request(source: FormatSpec, target: FormatSpec, payload: string, mode = Mode.MODE_FRAGILE): ConvertRequest {
  return { source, target, payload: Buffer.from(payload), mode };
}

/** The status of a call that must fail: the call's promise, rejected with a ConversionError. */
async function refusalOf(call: Promise<unknown>): Promise<ConversionError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ConversionError) return error;
    throw error;
  }
  assert.fail("the call succeeded; a refusal was expected");
}

interface VectorCase {
  id: string;
  input: string;
  request: unknown;
  output?: string;
  error?: { code: string; reason: string; field: string };
}

/** Bytes for a mismatch message: the text when they are UTF-8, else base64. */
function shown(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("utf-8");
  return Buffer.from(text).equals(bytes) ? JSON.stringify(text) : `base64:${Buffer.from(bytes).toString("base64")}`;
}

/** What a vector expects and what came, both as one line: `payload ...` or `CODE reason=... field=...`. */
async function vectorOutcome(vector: VectorCase): Promise<{ expected: string; came: string }> {
  const req = ConvertRequest.fromJSON(vector.request); // ProtoJSON, by the generated code
  req.payload = readFileSync(join(vectors!, vector.input));
  let expected: string;
  if (vector.output !== undefined) expected = `payload ${shown(readFileSync(join(vectors!, vector.output)))}`;
  else if (vector.error !== undefined) expected = `${vector.error.code} reason=${vector.error.reason} field=${vector.error.field}`;
  else throw new Error(`vector ${vector.id} has neither output nor error`);
  try {
    const { response } = await convert(client, req);
    return { expected, came: `payload ${shown(response.payload)}` };
  } catch (error) {
    if (!(error instanceof ConversionError)) throw error;
    return { expected, came: `${error.codeName} reason=${error.errorInfo?.reason} field=${error.violations[0]?.field}` };
  }
}

test("vectors", async () => {
  const cases: VectorCase[] = JSON.parse(readFileSync(join(vectors, "manifest.json"), "utf-8"));
  assert.ok(cases.length > 0, "the manifest has no case");
  const mismatches: string[] = [];
  for (const vector of cases) {
    const { expected, came } = await vectorOutcome(vector);
    if (came !== expected) mismatches.push(`${vector.id}:\n  expected ${expected}\n  came     ${came}`);
  }
  if (mismatches.length > 0) assert.fail(`${mismatches.length} of ${cases.length} vectors differ:\n${mismatches.join("\n")}`);
  console.log(`PASS vectors ${cases.length}/${cases.length}`);
});

test("bad-request", async () => {
  const schema = '{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}';
  const source = spec(Format.FORMAT_JSON, {
    schema: { ref: { $case: "inline", value: { type: SchemaType.SCHEMA_TYPE_JSON, text: schema, descriptorSet: Buffer.alloc(0) } } },
  });
  const error = await refusalOf(convert(client, request(source, spec(Format.FORMAT_YAML), '{"id": "seven"}')));
  assert.equal(error.codeName, "INVALID_ARGUMENT");
  assert.ok(error.status, "no google.rpc.Status in the grpc-status-details-bin trailer");
  assert.equal(error.status.code, error.code, "google.rpc.Status.code differs from the call's status code");
  assert.ok(error.badRequest, "no google.rpc.BadRequest among the status details");
  assert.equal(error.violations[0]?.field, "/id");
  assert.equal(error.violations[0]?.reason, "SCHEMA_VIOLATION");
  assert.ok(error.errorInfo, "no google.rpc.ErrorInfo among the status details");
  assert.equal(error.errorInfo.reason, "SCHEMA_VIOLATION");
  assert.equal(error.errorInfo.domain, "convsvc");
  console.log(`PASS bad-request (${error.violations[0].field}: ${error.violations[0].description})`);
});

test("idempotent-replay", async () => {
  const key = randomUUID();
  const req = request(spec(Format.FORMAT_JSON), spec(Format.FORMAT_YAML), '{"id": 7}');
  const first = await convert(client, req, { idempotencyKey: key });
  const second = await convert(client, req, { idempotencyKey: key });
  assert.equal(Buffer.from(first.response.payload).toString(), "id: 7\n");
  assert.equal(Buffer.from(second.response.payload).toString(), "id: 7\n");
  assert.deepEqual(first.trailers.get("idempotent-replayed"), [], "the first call says it was replayed");
  assert.deepEqual(second.trailers.get("idempotent-replayed"), ["true"], "the second call was not replayed");
  console.log(`PASS idempotent-replay (key ${key})`);
});

test("deadline-exceeded", async () => {
  const lines: string[] = [];
  for (let n = 0; n < 90_000; n++) {
    lines.push(`{"id": ${n}, "name": "record number ${n}", "tags": ["a", "b", "c"], "value": 12.5, "ok": true}\n`);
  }
  const jsonl = spec(Format.FORMAT_JSON, { encoding: "jsonl" });
  const payload = lines.join("");
  const started = performance.now();
  const error = await refusalOf(convert(client, request(jsonl, jsonl, payload), { deadlineSeconds: 0.1 }));
  const elapsed = performance.now() - started;
  assert.equal(error.codeName, "DEADLINE_EXCEEDED");
  console.log(`PASS deadline-exceeded (${(payload.length / 1e6).toFixed(1)} MB, gave up after ${elapsed.toFixed(0)} ms)`);
});

test("stream", async () => {
  const records = ['{"n": 1}', '{"n": 2}', '{"n": 3}'].map((record) => Buffer.from(record));
  const answers = [];
  const streamSpec = { source: spec(Format.FORMAT_JSON), target: spec(Format.FORMAT_YAML), mode: Mode.MODE_FRAGILE };
  for await (const answer of convertStream(client, streamSpec, records)) {
    assert.equal(answer.result?.$case, "record", `answer ${answer.index} is not a record`);
    answers.push({ index: answer.index, record: Buffer.from(answer.result.value as Uint8Array).toString() });
  }
  assert.deepEqual(answers, [
    { index: 0n, record: "---\n'n': 1\n" },
    { index: 1n, record: "---\n'n': 2\n" },
    { index: 2n, record: "---\n'n': 3\n" },
  ]);
  console.log(`PASS stream (${answers.length} records)`);
});
