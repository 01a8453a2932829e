package dev.convsvc.client;

import com.google.protobuf.ByteString;
import com.google.rpc.BadRequest;
import dev.convsvc.v1.ConversionServiceGrpc;
import dev.convsvc.v1.ConvertRequest;
import dev.convsvc.v1.ConvertResponse;
import dev.convsvc.v1.Format;
import dev.convsvc.v1.FormatSpec;
import dev.convsvc.v1.Issue;
import dev.convsvc.v1.Mode;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code convert}: stdin to stdout through a convsvc server, with the flags of {@code convsvc convert --target}.
 * Exit status: 0 converted, 1 refused (the status and each BadRequest violation on stderr), 2 usage,
 * 3 unreachable (UNAVAILABLE or deadline exceeded).
 */
public final class Convert {
    static final int EXIT_OK = 0;
    static final int EXIT_REFUSED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_UNREACHABLE = 3;

    static final Metadata.Key<String> IDEMPOTENCY_KEY = Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

    private static final Map<String, Format> FORMATS = Map.of(
            "json", Format.FORMAT_JSON, "yaml", Format.FORMAT_YAML, "avro", Format.FORMAT_AVRO,
            "protobuf", Format.FORMAT_PROTOBUF, "xml", Format.FORMAT_XML);
    private static final String USAGE = String.join("\n",
            "usage: convert --from FORMAT --to FORMAT [--target HOST:PORT] [--mode fragile|robust]",
            "               [--from-encoding NAME] [--to-encoding NAME] [--deadline SECONDS]",
            "               [--idempotency-key KEY] [--api-key KEY] < input > output",
            "FORMAT: json, yaml, avro, protobuf, xml. --target defaults to localhost:50051, --deadline to 30,",
            "--api-key to $CONVSVC_API_KEY.");

    private Convert() {
    }

    /** The parsed command line. */
    record Options(String target, FormatSpec source, FormatSpec destination, Mode mode, double deadlineSeconds,
                   String idempotencyKey, String apiKey) {

        static Options parse(String[] args) {
            String target = "localhost:50051";
            String from = null;
            String to = null;
            String fromEncoding = "";
            String toEncoding = "";
            String mode = "fragile";
            double deadline = 30.0;
            String idempotencyKey = null;
            String apiKey = System.getenv("CONVSVC_API_KEY");
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("-h") || flag.equals("--help")) {
                    throw new UsageException(null);
                }
                if (i + 1 >= args.length) {
                    throw new UsageException(flag + " needs a value");
                }
                String value = args[++i];
                switch (flag) {
                    case "--target" -> target = value;
                    case "--from" -> from = value;
                    case "--to" -> to = value;
                    case "--from-encoding" -> fromEncoding = value;
                    case "--to-encoding" -> toEncoding = value;
                    case "--mode" -> mode = value;
                    case "--deadline" -> deadline = seconds(value);
                    case "--idempotency-key" -> idempotencyKey = value;
                    case "--api-key" -> apiKey = value;
                    default -> throw new UsageException("unknown flag " + flag);
                }
            }
            if (from == null || to == null) {
                throw new UsageException("--from and --to are required");
            }
            Mode parsedMode = switch (mode) {
                case "fragile" -> Mode.MODE_FRAGILE;
                case "robust" -> Mode.MODE_ROBUST;
                default -> throw new UsageException("--mode is fragile or robust, not " + mode);
            };
            return new Options(target, spec(from, fromEncoding), spec(to, toEncoding), parsedMode, deadline,
                               idempotencyKey, apiKey == null || apiKey.isEmpty() ? null : apiKey);
        }

        private static FormatSpec spec(String name, String encoding) {
            Format format = FORMATS.get(name);
            if (format == null) {
                throw new UsageException("unknown format " + name + " (json, yaml, avro, protobuf, xml)");
            }
            return FormatSpec.newBuilder().setFormat(format).setEncoding(encoding).build();
        }

        private static double seconds(String value) {
            try {
                double seconds = Double.parseDouble(value);
                if (seconds > 0 && Double.isFinite(seconds)) {
                    return seconds;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new UsageException("--deadline is a positive number of seconds, not " + value);
        }

        /** The call's metadata: a request id for the server's logs, the API key and idempotency key when given. */
        Metadata metadata() {
            Metadata metadata = new Metadata();
            metadata.put(REQUEST_ID, UUID.randomUUID().toString());
            if (apiKey != null) {
                metadata.put(AUTHORIZATION, "Bearer " + apiKey);
            }
            if (idempotencyKey != null) {
                metadata.put(IDEMPOTENCY_KEY, idempotencyKey);
            }
            return metadata;
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** A plaintext channel to HOST:PORT that accepts answers as large as the service sends. */
    public static ManagedChannel channel(String target) {
        return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                .maxInboundMessageSize(256 * 1024 * 1024)
                .build();
    }

    public static void main(String[] args) throws IOException {
        System.exit(run(args, System.in, System.out, System.err));
    }

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) throws IOException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (UsageException usage) {
            if (usage.getMessage() == null) {  // --help
                out.println(USAGE);
                return EXIT_OK;
            }
            err.println("convert: " + usage.getMessage());
            err.println(USAGE);
            return EXIT_USAGE;
        }
        ConvertRequest request = ConvertRequest.newBuilder()
                .setSource(options.source())
                .setTarget(options.destination())
                .setMode(options.mode())
                .setPayload(ByteString.readFrom(in))
                .build();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        ManagedChannel channel = channel(options.target());
        try {
            ConversionServiceGrpc.ConversionServiceBlockingStub stub = ConversionServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(options.metadata()),
                                      MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers))
                    .withDeadlineAfter(Math.round(options.deadlineSeconds() * 1000), TimeUnit.MILLISECONDS);
            ConvertResponse response = stub.convert(request);
            printIssues(response.getReport().getIssuesList(), err);
            response.getPayload().writeTo(out);
            out.flush();
            return EXIT_OK;
        } catch (StatusRuntimeException error) {
            Refusal refusal = Refusal.of(error);
            err.println("convert: " + refusal.code() + (refusal.message().isEmpty() ? "" : ": " + refusal.message()));
            for (BadRequest.FieldViolation violation : refusal.violations()) {
                err.println((violation.getField().isEmpty() ? "" : violation.getField() + ": ") + violation.getDescription());
            }
            if (refusal.code() == Status.Code.UNAVAILABLE || refusal.code() == Status.Code.DEADLINE_EXCEEDED) {
                return EXIT_UNREACHABLE;
            }
            if (refusal.violations().isEmpty() && trailers.get() != null && trailers.get().containsKey(REQUEST_ID)) {
                err.println("convert: request id: " + trailers.get().get(REQUEST_ID));  // not about the payload
            }
            return EXIT_REFUSED;
        } finally {
            channel.shutdownNow();
        }
    }

    /** The repairs and notes of a conversion (ROBUST mode), one line each, as the CLI prints them. */
    private static void printIssues(List<Issue> issues, PrintStream err) {
        for (Issue issue : issues) {
            String severity = issue.getSeverity().name().replace("SEVERITY_", "").toLowerCase(Locale.ROOT);
            String code = issue.getCode().name().replace("ISSUE_CODE_", "");
            err.println("convert: " + severity + ": " + code + (issue.getPath().isEmpty() ? "" : " at " + issue.getPath())
                        + ": " + issue.getMessage());
        }
    }
}
