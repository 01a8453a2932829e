package dev.convsvc.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import dev.convsvc.v1.ConversionServiceGrpc;
import dev.convsvc.v1.ConvertRequest;
import dev.convsvc.v1.ConvertResponse;
import dev.convsvc.v1.ConvertStreamRequest;
import dev.convsvc.v1.ConvertStreamResponse;
import dev.convsvc.v1.Format;
import dev.convsvc.v1.FormatSpec;
import dev.convsvc.v1.InlineSchema;
import dev.convsvc.v1.Mode;
import dev.convsvc.v1.SchemaRef;
import dev.convsvc.v1.SchemaType;
import dev.convsvc.v1.StreamSpec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Java client against a live server ($CONVSVC_ADDRESS, plaintext) with the shared vectors
 * ($CONVSVC_VECTORS): each check prints its {@code PASS <check>} line once it held (clients/README.md).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveServerTest {
    private static final Metadata.Key<String> REPLAYED = Metadata.Key.of("idempotent-replayed", Metadata.ASCII_STRING_MARSHALLER);

    private static ManagedChannel channel;
    private static Path vectors;

    @BeforeAll
    static void connect() {
        String address = System.getenv("CONVSVC_ADDRESS");
        String vectorsDir = System.getenv("CONVSVC_VECTORS");
        if (address == null || address.isEmpty() || vectorsDir == null || vectorsDir.isEmpty()) {
            throw new IllegalStateException("CONVSVC_ADDRESS and CONVSVC_VECTORS name the server and the vectors "
                                            + "(check.sh sets them)");
        }
        channel = Convert.channel(address);
        vectors = Path.of(vectorsDir);
    }

    @AfterAll
    static void disconnect() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static ConversionServiceGrpc.ConversionServiceBlockingStub stub() {
        return ConversionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static FormatSpec spec(Format format) {
        return FormatSpec.newBuilder().setFormat(format).build();
    }

    private static void pass(String line) {
        System.out.println("PASS " + line);
        System.out.flush();
    }

    @Test
    @Order(1)
    void everyVectorConvertsByteForByteOrFailsAsRecorded() throws Exception {
        List<JsonElement> cases = JsonParser.parseString(Files.readString(vectors.resolve("manifest.json")))
                .getAsJsonArray().asList();
        List<String> mismatches = new ArrayList<>();
        for (JsonElement element : cases) {
            JsonObject vector = element.getAsJsonObject();
            String id = vector.get("id").getAsString();
            ConvertRequest.Builder request = ConvertRequest.newBuilder();
            JsonFormat.parser().merge(vector.get("request").toString(), request);
            request.setPayload(ByteString.copyFrom(Files.readAllBytes(vectors.resolve(vector.get("input").getAsString()))));
            String mismatch;
            try {
                ConvertResponse response = stub().convert(request.build());
                mismatch = vector.has("error")
                        ? "expected the refusal " + vector.get("error") + "\n  came a payload: " + show(response.getPayload().toByteArray())
                        : compareOutput(vector.get("output").getAsString(), response.getPayload().toByteArray());
            } catch (StatusRuntimeException error) {
                Refusal refusal = Refusal.of(error);
                mismatch = vector.has("error")
                        ? compareRefusal(vector.getAsJsonObject("error"), refusal)
                        : "expected the payload of " + vector.get("output").getAsString() + "\n  came the refusal " + refusal;
            }
            if (mismatch != null) {
                mismatches.add(id + ": " + mismatch);
                System.out.println("FAIL vector " + id + ": " + mismatch);
            }
        }
        assertTrue(mismatches.isEmpty(), () -> mismatches.size() + " of " + cases.size() + " vectors did not match: "
                   + String.join(", ", mismatches.stream().map(m -> m.substring(0, m.indexOf(':'))).toList())
                   + " (what was expected and what came: the FAIL lines above)");
        pass("vectors " + cases.size() + "/" + cases.size());
    }

    private static String compareOutput(String outputFile, byte[] got) throws Exception {
        byte[] expected = Files.readAllBytes(vectors.resolve(outputFile));
        return Arrays.equals(expected, got) ? null
                : "expected " + outputFile + ": " + show(expected) + "\n  came: " + show(got);
    }

    private static String compareRefusal(JsonObject expected, Refusal got) {
        String wanted = expected.get("code").getAsString() + " reason=" + expected.get("reason").getAsString()
                        + " field=" + expected.get("field").getAsString();
        String came = got.code().name() + " reason=" + got.reason() + " field=" + got.field();
        return wanted.equals(came) ? null : "expected the refusal " + wanted + "\n  came: " + got;
    }

    /** Bytes as text when they are UTF-8 (escaped, cut at 600 characters), else their length and first bytes in hex. */
    private static String show(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes)) {
            StringBuilder hex = new StringBuilder(bytes.length + " bytes:");
            for (int i = 0; i < Math.min(bytes.length, 64); i++) {
                hex.append(String.format(" %02x", bytes[i]));
            }
            return hex.append(bytes.length > 64 ? " ..." : "").toString();
        }
        String escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return "\"" + (escaped.length() > 600 ? escaped.substring(0, 600) + "...\" (" + bytes.length + " bytes)" : escaped + "\"");
    }

    @Test
    @Order(2)
    void schemaViolationIsRefusedWithBadRequestAndErrorInfo() {
        String schema = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}},\"required\":[\"id\"]}";
        ConvertRequest request = ConvertRequest.newBuilder()
                .setSource(FormatSpec.newBuilder().setFormat(Format.FORMAT_JSON).setSchema(SchemaRef.newBuilder()
                        .setInline(InlineSchema.newBuilder().setType(SchemaType.SCHEMA_TYPE_JSON).setText(schema))))
                .setTarget(spec(Format.FORMAT_YAML))
                .setMode(Mode.MODE_FRAGILE)
                .setPayload(ByteString.copyFromUtf8("{\"id\": \"seven\"}"))
                .build();
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> stub().convert(request),
                                                    "a string where the schema wants an integer must be refused");
        Refusal refusal = Refusal.of(error);
        assertEquals(Status.Code.INVALID_ARGUMENT, refusal.code(), refusal.toString());
        assertFalse(refusal.violations().isEmpty(), "no google.rpc.BadRequest violation in " + refusal);
        assertEquals("/id", refusal.violations().get(0).getField(), "first violation's field");
        assertEquals("SCHEMA_VIOLATION", refusal.violations().get(0).getReason(), "first violation's reason");
        assertFalse(refusal.errorInfos().isEmpty(), "no google.rpc.ErrorInfo in " + refusal);
        assertEquals("SCHEMA_VIOLATION", refusal.reason(), "ErrorInfo reason");
        assertEquals("convsvc", refusal.domain(), "ErrorInfo domain");
        pass("bad-request (" + refusal.violations().get(0).getField() + ": " + refusal.violations().get(0).getDescription() + ")");
    }

    /** One Convert call with an idempotency key: the answer and the trailing metadata. */
    private record Answer(ConvertResponse response, Metadata trailers) {
    }

    private static Answer convertWithKey(ConvertRequest request, String idempotencyKey) {
        Metadata headers = new Metadata();
        headers.put(Convert.IDEMPOTENCY_KEY, idempotencyKey);
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        ConvertResponse response = stub()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers),
                                  MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers))
                .convert(request);
        return new Answer(response, trailers.get());
    }

    @Test
    @Order(3)
    void secondCallWithTheSameIdempotencyKeyIsReplayed() {
        ConvertRequest request = ConvertRequest.newBuilder()
                .setSource(spec(Format.FORMAT_JSON))
                .setTarget(spec(Format.FORMAT_YAML))
                .setPayload(ByteString.copyFromUtf8("{\"id\": 7}"))
                .build();
        String key = UUID.randomUUID().toString();
        Answer first = convertWithKey(request, key);
        Answer second = convertWithKey(request, key);
        assertEquals("id: 7\n", first.response().getPayload().toStringUtf8(), "first answer");
        assertEquals("id: 7\n", second.response().getPayload().toStringUtf8(), "replayed answer");
        assertNull(first.trailers().get(REPLAYED), "the first call's idempotent-replayed trailer");
        assertEquals("true", second.trailers().get(REPLAYED), "the second call's idempotent-replayed trailer");
        pass("idempotent-replay (key " + key + ")");
    }

    @Test
    @Order(4)
    void aLargeConversionPastItsDeadlineFailsDeadlineExceeded() {
        StringBuilder lines = new StringBuilder(9_000_000);
        for (int n = 0; n < 90_000; n++) {
            lines.append("{\"id\": ").append(n).append(", \"name\": \"record number ").append(n)
                 .append("\", \"tags\": [\"a\", \"b\", \"c\"], \"value\": 12.5, \"ok\": true}\n");
        }
        FormatSpec jsonLines = FormatSpec.newBuilder().setFormat(Format.FORMAT_JSON).setEncoding("jsonl").build();
        ConvertRequest request = ConvertRequest.newBuilder()
                .setSource(jsonLines)
                .setTarget(jsonLines)
                .setPayload(ByteString.copyFromUtf8(lines.toString()))
                .build();
        long start = System.nanoTime();
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () ->
                ConversionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(100, TimeUnit.MILLISECONDS).convert(request),
                "8.7 MB of JSON Lines converted within 100 ms");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(Status.Code.DEADLINE_EXCEEDED, error.getStatus().getCode(), error.getStatus().toString());
        pass("deadline-exceeded (" + request.getPayload().size() + " bytes, failed after " + millis + " ms)");
    }

    @Test
    @Order(5)
    void streamConvertsEachRecordAsItComes() throws Exception {
        List<ConvertStreamResponse> answers = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<ConvertStreamRequest> requests = ConversionServiceGrpc.newStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .convertStream(new StreamObserver<>() {
                    @Override
                    public void onNext(ConvertStreamResponse answer) {
                        answers.add(answer);
                    }

                    @Override
                    public void onError(Throwable error) {
                        done.completeExceptionally(error);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        requests.onNext(ConvertStreamRequest.newBuilder()
                .setSpec(StreamSpec.newBuilder().setSource(spec(Format.FORMAT_JSON)).setTarget(spec(Format.FORMAT_YAML)))
                .build());
        for (int n = 1; n <= 3; n++) {
            requests.onNext(ConvertStreamRequest.newBuilder().setRecord(ByteString.copyFromUtf8("{\"n\": " + n + "}")).build());
        }
        requests.onCompleted();
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException failed) {
            throw new AssertionError("the stream failed: " + Status.fromThrowable(failed.getCause()), failed.getCause());
        }
        List<String> got = new ArrayList<>();
        for (ConvertStreamResponse answer : answers) {
            got.add(answer.getIndex() + " " + (answer.hasRecord() ? "record " + answer.getRecord().toStringUtf8()
                                                                   : "error " + answer.getError()));
        }
        assertEquals(List.of("0 record ---\n'n': 1\n", "1 record ---\n'n': 2\n", "2 record ---\n'n': 3\n"), got,
                     "the stream's answers (index, record)");
        pass("stream (" + answers.size() + " records)");
    }
}
