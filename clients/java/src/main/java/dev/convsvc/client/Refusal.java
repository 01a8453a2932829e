package dev.convsvc.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;

/**
 * A refused call as convsvc describes it: the gRPC status, and the google.rpc details from the
 * {@code grpc-status-details-bin} trailer (ErrorInfo: the issue code as reason, domain "convsvc";
 * BadRequest: one field violation per issue, field = JSON Pointer or request field).
 */
public record Refusal(Status.Code code, String message, List<ErrorInfo> errorInfos,
                      List<BadRequest.FieldViolation> violations) {

    /** Reads the status and its details; detail types other than ErrorInfo and BadRequest are skipped. */
    public static Refusal of(StatusRuntimeException error) {
        Status status = error.getStatus();
        List<ErrorInfo> errorInfos = new ArrayList<>();
        List<BadRequest.FieldViolation> violations = new ArrayList<>();
        com.google.rpc.Status details = StatusProto.fromThrowable(error);
        if (details != null) {
            for (Any detail : details.getDetailsList()) {
                try {
                    if (detail.is(ErrorInfo.class)) {
                        errorInfos.add(detail.unpack(ErrorInfo.class));
                    } else if (detail.is(BadRequest.class)) {
                        violations.addAll(detail.unpack(BadRequest.class).getFieldViolationsList());
                    }
                    // convsvc.v1.Report, RetryInfo, ...: not needed to describe the refusal
                } catch (InvalidProtocolBufferException malformed) {
                    throw new IllegalStateException("malformed " + detail.getTypeUrl() + " in the status details",
                                                    malformed);
                }
            }
        }
        String message = status.getDescription() == null ? "" : status.getDescription();
        return new Refusal(status.getCode(), message, List.copyOf(errorInfos), List.copyOf(violations));
    }

    /** The first ErrorInfo's reason (the issue code name, e.g. SCHEMA_VIOLATION), or "" when there is none. */
    public String reason() {
        return errorInfos.isEmpty() ? "" : errorInfos.get(0).getReason();
    }

    /** The first ErrorInfo's domain ("convsvc"), or "" when there is none. */
    public String domain() {
        return errorInfos.isEmpty() ? "" : errorInfos.get(0).getDomain();
    }

    /** The first BadRequest violation's field, or "" when there is none. */
    public String field() {
        return violations.isEmpty() ? "" : violations.get(0).getField();
    }

    @Override
    public String toString() {
        return code + " reason=" + reason() + " field=" + field() + (message.isEmpty() ? "" : ": " + message);
    }
}
