// The Java snippet of docs/clients.md (the lines between the snippet markers, as they are): one Convert
// call that converts and one that is refused, against the server named by the first argument.
// check.sh runs it and compares what it prints with clients/snippet.expected.
package dev.convsvc.client;

// snippet:start
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import dev.convsvc.v1.ConversionServiceGrpc; // generated from proto/ by protoc + protoc-gen-grpc-java
import dev.convsvc.v1.ConversionServiceGrpc.ConversionServiceBlockingStub;
import dev.convsvc.v1.ConvertRequest;
import dev.convsvc.v1.Format;
import dev.convsvc.v1.FormatSpec;
import dev.convsvc.v1.InlineSchema;
import dev.convsvc.v1.SchemaRef;
import dev.convsvc.v1.SchemaType;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.concurrent.TimeUnit;

public final class Snippet {
    // The source's JSON Schema: an object whose "id" is an integer.
    static final String SCHEMA =
            "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}},\"required\":[\"id\"]}";

    public static void main(String[] args) throws InterruptedException, InvalidProtocolBufferException {
        String address = args.length > 0 ? args[0] : "localhost:50051";
        ManagedChannel channel = Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).build();
        try {
            ConversionServiceBlockingStub stub = ConversionServiceGrpc.newBlockingStub(channel);
            convert(stub, "{\"id\": 7}");  // id: 7
            convert(stub, "{\"id\": \"seven\"}");  // refused: SCHEMA_VIOLATION at /id: ...
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Converts payload from JSON to YAML and prints the YAML, or why the server refused it. */
    static void convert(ConversionServiceBlockingStub stub, String payload) throws InvalidProtocolBufferException {
        ConvertRequest request = ConvertRequest.newBuilder()
                .setSource(FormatSpec.newBuilder()
                        .setFormat(Format.FORMAT_JSON)
                        .setSchema(SchemaRef.newBuilder().setInline(
                                InlineSchema.newBuilder().setType(SchemaType.SCHEMA_TYPE_JSON).setText(SCHEMA))))
                .setTarget(FormatSpec.newBuilder().setFormat(Format.FORMAT_YAML))
                .setPayload(ByteString.copyFromUtf8(payload))
                .build();
        try {
            ByteString converted = stub.withDeadlineAfter(10, TimeUnit.SECONDS).convert(request).getPayload();
            System.out.print(converted.toStringUtf8());
        } catch (StatusRuntimeException error) {
            if (error.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                throw error;  // not a refusal of the payload (UNAVAILABLE, ...)
            }
            System.out.println("refused: " + error.getStatus().getDescription());
            // the google.rpc.Status of the grpc-status-details-bin trailer
            com.google.rpc.Status status = StatusProto.fromThrowable(error);
            for (Any detail : status == null ? List.<Any>of() : status.getDetailsList()) {
                if (detail.is(BadRequest.class)) {  // other detail types are skipped
                    BadRequest badRequest = detail.unpack(BadRequest.class);
                    for (BadRequest.FieldViolation violation : badRequest.getFieldViolationsList()) {
                        System.out.println(violation.getField() + ": " + violation.getDescription());
                    }
                }
            }
        }
    }
}
// snippet:end
