// ts-proto's generated fromJSON, which the vectors check uses to read the manifest's ProtoJSON requests, against
// @bufbuild/protobuf's fromJson (conformance-tested ProtoJSON) on a descriptor set of the same protos: every manifest
// request and the cases the manifest leaves out (bytes, numeric enums, int64 strings, each oneof member, proto names).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createFileRegistry, type DescMessage, fromBinary, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ConvertRequest, ConvertStreamRequest, Format, Mode } from "../gen/convsvc/v1/conversion";

// build.sh writes it with `buf build` beside the generated stubs.
const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, readFileSync(join(__dirname, "..", "..", "src", "gen", "convsvc.binpb"))),
);

function descriptor(name: string): DescMessage {
  const message = registry.getMessage(name);
  assert.ok(message, `${name} is not in the descriptor set`);
  return message;
}

/** The message as the reference ProtoJSON parser reads it, in binary. */
function reference(name: string, json: JsonValue): Uint8Array {
  const desc = descriptor(name);
  return toBinary(desc, fromJson(desc, json));
}

function assertSameAsReference(json: JsonValue): void {
  assert.deepEqual(ConvertRequest.fromJSON(json), ConvertRequest.decode(reference("convsvc.v1.ConvertRequest", json)),
                   `ts-proto and @bufbuild/protobuf read ${JSON.stringify(json).slice(0, 200)} differently`);
}

test("every manifest request reads as the reference ProtoJSON parser reads it", () => {
  const vectors = process.env.CONVSVC_VECTORS ?? join(__dirname, "..", "..", "..", "..", "corpus", "vectors");
  const cases: { request: JsonValue }[] = JSON.parse(readFileSync(join(vectors, "manifest.json"), "utf-8"));
  assert.ok(cases.length > 0);
  for (const { request } of cases) assertSameAsReference(request);
});

test("bytes, enum numbers, int64 strings, each oneof member and proto field names read as the reference reads them", () => {
  const requests: JsonValue[] = [
    { payload: "eyJhIjogMX0=", mode: 2, source: { format: 3, schema: { inline: { type: "SCHEMA_TYPE_PROTOBUF", descriptorSet: "CgR0ZXN0" } } } },
    { payload: "-_8", target: { format: "FORMAT_XML", options: { root: "order", indent: "2" } } }, // URL-safe, unpadded
    { source: { format: "FORMAT_AVRO", schema: { id: "9007199254740993" }, reader_schema: { id: 12 } } },
    { source: { format: "FORMAT_AVRO", schema: { subject: { subject: "orders-value", version: 3 } } } },
    { target: { format: "FORMAT_PROTOBUF", message_type: "acme.v1.Order", encoding: null }, mode: "MODE_FRAGILE" },
    {},
  ];
  for (const json of requests) assertSameAsReference(json);

  const parsed = ConvertRequest.fromJSON(requests[0]);
  assert.deepEqual(Buffer.from(parsed.payload).toString(), '{"a": 1}');
  assert.equal(parsed.mode, Mode.MODE_ROBUST);
  assert.equal(parsed.source?.format, Format.FORMAT_AVRO);
  assert.deepEqual(ConvertRequest.fromJSON(requests[2]).source?.schema?.ref, { $case: "id", value: 9007199254740993n });

  for (const json of [{ record: "eyJuIjogMX0=" }, { chunk: "" }, { spec: { mode: "MODE_ROBUST" } }] as JsonValue[]) {
    assert.deepEqual(ConvertStreamRequest.fromJSON(json),
                     ConvertStreamRequest.decode(reference("convsvc.v1.ConvertStreamRequest", json)));
  }
});

test("an unknown enum name is refused, as ProtoJSON requires", () => {
  const json = { source: { format: "FORMAT_CSV" } };
  assert.throws(() => fromJson(descriptor("convsvc.v1.ConvertRequest"), json));
  assert.throws(() => ConvertRequest.fromJSON(json), /Unrecognized enum value FORMAT_CSV/);
});
