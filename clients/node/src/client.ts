// The Node.js client of convsvc.v1.ConversionService: promise and async-iterator calls over the generated
// grpc-js stub, and refusals read from the google.rpc.Status in the `grpc-status-details-bin` trailer.
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import {
  ConversionServiceClient,
  type ConvertRequest,
  type ConvertResponse,
  type ConvertStreamRequest,
  type ConvertStreamResponse,
  type StreamSpec,
} from "./gen/convsvc/v1/conversion";
import { BadRequest, ErrorInfo, type MessageFns } from "./gen/google/rpc/error_details";
import type { Any } from "./gen/google/protobuf/any";
import { Status as RpcStatus } from "./gen/google/rpc/status";

export { ConversionServiceClient };

// The server's default receive and send limit (Limits.max_message_bytes + 64 KiB of envelope).
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024 + 64 * 1024;

/** A plaintext channel to the service at `target` (host:port). */
export function connect(target: string, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): ConversionServiceClient {
  return new ConversionServiceClient(target, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
  });
}

/** What goes with a call besides the request, as the CLI's --deadline, --idempotency-key, --api-key and --request-id. */
export interface CallSettings {
  /** Seconds until the call gives up with DEADLINE_EXCEEDED (default 30). */
  deadlineSeconds?: number;
  /** A retry with the same key replays the first answer instead of converting again. */
  idempotencyKey?: string;
  apiKey?: string;
  /** x-request-id for the server's logs (default: a new UUID). */
  requestId?: string;
}

function metadataOf(settings: CallSettings): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("x-request-id", settings.requestId ?? randomUUID());
  if (settings.apiKey) metadata.set("authorization", `Bearer ${settings.apiKey}`);
  if (settings.idempotencyKey) metadata.set("idempotency-key", settings.idempotencyKey);
  return metadata;
}

function optionsOf(settings: CallSettings): grpc.CallOptions {
  return { deadline: new Date(Date.now() + (settings.deadlineSeconds ?? 30) * 1000) };
}

/** A call the server refused or that failed: its status, and the google.rpc details the status carried. */
export class ConversionError extends Error {
  readonly code: grpc.status;
  /** The status code's name, e.g. "INVALID_ARGUMENT". */
  readonly codeName: string;
  readonly details: string;
  /** The whole google.rpc.Status of the `grpc-status-details-bin` trailer, when the server sent one. */
  readonly status: RpcStatus | undefined;
  readonly errorInfo: ErrorInfo | undefined;
  readonly badRequest: BadRequest | undefined;
  readonly trailers: grpc.Metadata;

  constructor(error: grpc.ServiceError) {
    const codeName = grpc.status[error.code] ?? `CODE_${error.code}`;
    super(`${codeName}: ${error.details}`);
    this.name = "ConversionError";
    this.code = error.code;
    this.codeName = codeName;
    this.details = error.details;
    this.trailers = error.metadata ?? new grpc.Metadata();
    this.status = statusDetails(this.trailers);
    this.errorInfo = this.detail(ErrorInfo);
    this.badRequest = this.detail(BadRequest);
  }

  /** The first detail of type `type` (ErrorInfo, BadRequest, RetryInfo, ...); types not asked for are skipped. */
  detail<T>(type: MessageFns<T, string>): T | undefined {
    for (const any of this.status?.details ?? []) {
      const message = unpack(any, type);
      if (message !== undefined) return message;
    }
    return undefined;
  }

  /** BadRequest's field violations (field = JSON Pointer into the payload, or the request field). */
  get violations(): BadRequest["fieldViolations"] {
    return this.badRequest?.fieldViolations ?? [];
  }
}

/** The google.rpc.Status a server put in the `grpc-status-details-bin` trailer, if any. */
export function statusDetails(trailers: grpc.Metadata): RpcStatus | undefined {
  const [raw] = trailers.get("grpc-status-details-bin");
  return raw instanceof Buffer ? RpcStatus.decode(raw) : undefined;
}

/** `any` decoded as `type` when its type URL names that type, else undefined. */
export function unpack<T>(any: Any, type: MessageFns<T, string>): T | undefined {
  const typeName = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
  return typeName === type.$type ? type.decode(any.value) : undefined;
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as grpc.ServiceError).code === "number" && "metadata" in error;
}

function refusal(error: unknown): unknown {
  return isServiceError(error) ? new ConversionError(error) : error;
}

/** A Convert answer with the call's trailing metadata (e.g. `idempotent-replayed: true`). */
export interface Converted {
  response: ConvertResponse;
  trailers: grpc.Metadata;
}

/** Calls Convert; a refusal rejects with a ConversionError. */
export function convert(client: ConversionServiceClient, request: ConvertRequest,
                        settings: CallSettings = {}): Promise<Converted> {
  return new Promise((resolve, reject) => {
    let outcome: { response: ConvertResponse } | { error: grpc.ServiceError } | undefined;
    const call = client.convert(request, metadataOf(settings), optionsOf(settings), (error, response) => {
      outcome = error ? { error } : { response };
    });
    // grpc-js calls the callback first and emits the status (with the trailers) right after it.
    call.on("status", (status: grpc.StatusObject) => {
      if (outcome === undefined) reject(new Error(`Convert ended without an answer: ${status.details}`));
      else if ("error" in outcome) reject(new ConversionError(outcome.error));
      else resolve({ response: outcome.response, trailers: status.metadata });
    });
  });
}

/** Calls ConvertStream: sends `spec`, then each record; yields each converted record as the server answers it.
 * A refusal (FRAGILE mode ends the stream with one) throws a ConversionError. */
export async function* convertStream(client: ConversionServiceClient, spec: StreamSpec,
                                     records: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
                                     settings: CallSettings = {}): AsyncGenerator<ConvertStreamResponse> {
  const call = client.convertStream(metadataOf(settings), optionsOf(settings));
  const send = async (message: ConvertStreamRequest) => {
    if (!call.write(message)) await once(call, "drain");
  };
  // Sending runs beside the reading below: the server answers while records still arrive.
  const sending = (async () => {
    await send({ item: { $case: "spec", value: spec } });
    for await (const record of records) {
      const value = Buffer.isBuffer(record) ? record : Buffer.from(record.buffer, record.byteOffset, record.byteLength);
      await send({ item: { $case: "record", value } });
    }
    call.end();
  })();
  sending.catch(() => call.cancel());
  try {
    for await (const answer of call) yield answer as ConvertStreamResponse;
    await sending;
  } catch (error) {
    throw refusal(error);
  } finally {
    call.cancel(); // a no-op once the call has ended; stops it when the consumer breaks off early
  }
}
