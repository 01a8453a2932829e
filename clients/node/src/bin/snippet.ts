// The Node.js snippet of docs/clients.md (the lines between the snippet markers, as they are): one Convert
// call that converts and one that is refused, against the server named by the first argument.
// check.sh runs it and compares what it prints with clients/snippet.expected.

// snippet:start
import * as grpc from "@grpc/grpc-js";
import {
  ConversionServiceClient, ConvertRequest, type ConvertResponse, Format, SchemaType,
} from "../gen/convsvc/v1/conversion"; // generated from proto/ by ts-proto (buf generate)
import { BadRequest } from "../gen/google/rpc/error_details";
import { Status } from "../gen/google/rpc/status";

// The source's JSON Schema: an object whose "id" is an integer.
const schema = '{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}';

/** Converts `payload` from JSON to YAML and prints the YAML, or why the server refused it. */
async function convert(client: ConversionServiceClient, payload: string): Promise<void> {
  const request = ConvertRequest.fromPartial({
    source: {
      format: Format.FORMAT_JSON,
      schema: { ref: { $case: "inline", value: { type: SchemaType.SCHEMA_TYPE_JSON, text: schema } } },
    },
    target: { format: Format.FORMAT_YAML },
    payload: Buffer.from(payload),
  });
  const deadline = { deadline: Date.now() + 10_000 }; // the call's deadline
  try {
    const response = await new Promise<ConvertResponse>((resolve, reject) =>
      client.convert(request, new grpc.Metadata(), deadline,
                     (error, response) => (error ? reject(error) : resolve(response))));
    process.stdout.write(response.payload);
  } catch (caught) {
    const error = caught as grpc.ServiceError;
    if (error.code !== grpc.status.INVALID_ARGUMENT) throw error; // not a refusal of the payload (UNAVAILABLE, ...)
    console.log(`refused: ${error.details}`);
    // the google.rpc.Status of the grpc-status-details-bin trailer
    const [raw] = error.metadata.get("grpc-status-details-bin");
    for (const detail of raw instanceof Buffer ? Status.decode(raw).details : []) {
      if (detail.typeUrl === `type.googleapis.com/${BadRequest.$type}`) { // other detail types are skipped
        for (const violation of BadRequest.decode(detail.value).fieldViolations) {
          console.log(`${violation.field}: ${violation.description}`);
        }
      }
    }
  }
}

async function main(address = "localhost:50051"): Promise<void> {
  const client = new ConversionServiceClient(address, grpc.credentials.createInsecure());
  try {
    await convert(client, '{"id": 7}'); // id: 7
    await convert(client, '{"id": "seven"}'); // refused: SCHEMA_VIOLATION at /id: ...
  } finally {
    client.close();
  }
}

main(process.argv[2]).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
// snippet:end
