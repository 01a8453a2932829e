// Package convsvc holds what the example program and the live check share: a plaintext connection
// to the service, the call metadata the server reads, and a refusal read from its status details.
package convsvc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	convsvcv1 "convsvc.example/clients/go/gen/convsvc/v1"
)

// Dial connects to the service at target (host:port) in plaintext; the connection is lazy, so an
// unreachable server shows up as UNAVAILABLE on the first call.
func Dial(target string) (*grpc.ClientConn, error) {
	return grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// CallOptions are the metadata of one call, as the convsvc CLI sends them.
type CallOptions struct {
	APIKey         string // sent as "authorization: Bearer KEY" when set
	IdempotencyKey string // a retry with the same key replays the first answer
	RequestID      string // x-request-id for the server's logs; a new UUID when empty
}

// Context returns ctx carrying the call's outgoing metadata.
func (o CallOptions) Context(ctx context.Context) context.Context {
	requestID := o.RequestID
	if requestID == "" {
		requestID = uuid.NewString()
	}
	pairs := []string{"x-request-id", requestID}
	if o.APIKey != "" {
		pairs = append(pairs, "authorization", "Bearer "+o.APIKey)
	}
	if o.IdempotencyKey != "" {
		pairs = append(pairs, "idempotency-key", o.IdempotencyKey)
	}
	return metadata.AppendToOutgoingContext(ctx, pairs...)
}

// Refusal is a failed call with the google.rpc details the service attaches (either may be nil).
type Refusal struct {
	Code       codes.Code
	Message    string
	BadRequest *errdetails.BadRequest
	ErrorInfo  *errdetails.ErrorInfo
	Report     *convsvcv1.Report
}

// RefusalOf reads err's status and the details of its grpc-status-details-bin trailer; detail types
// it does not know are skipped. ok is false when err is not a gRPC status.
func RefusalOf(err error) (refusal *Refusal, ok bool) {
	st, ok := status.FromError(err)
	if !ok {
		return nil, false
	}
	refusal = &Refusal{Code: st.Code(), Message: st.Message()}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.BadRequest:
			refusal.BadRequest = d
		case *errdetails.ErrorInfo:
			refusal.ErrorInfo = d
		case *convsvcv1.Report:
			refusal.Report = d
		}
	}
	return refusal, true
}

// FirstViolation is the first BadRequest field violation, or nil.
func (r *Refusal) FirstViolation() *errdetails.BadRequest_FieldViolation {
	if r.BadRequest == nil || len(r.BadRequest.GetFieldViolations()) == 0 {
		return nil
	}
	return r.BadRequest.GetFieldViolations()[0]
}

// Error is the status name and message, e.g. "INVALID_ARGUMENT: ...".
func (r *Refusal) Error() string {
	return CodeName(r.Code) + ": " + r.Message
}

// CodeName is a status code's canonical name, e.g. "INVALID_ARGUMENT" (codes.Code.String gives
// "InvalidArgument").
func CodeName(c codes.Code) string {
	if name, ok := rpccode.Code_name[int32(c)]; ok {
		return name
	}
	return fmt.Sprintf("CODE_%d", uint32(c))
}

// ParseFormat maps a CLI format name ("json", "yaml", "avro", "protobuf", "xml") to the enum.
func ParseFormat(name string) (convsvcv1.Format, error) {
	value, ok := convsvcv1.Format_value["FORMAT_"+strings.ToUpper(name)]
	if !ok || value == 0 {
		return 0, fmt.Errorf("unknown format %q (json, yaml, avro, protobuf or xml)", name)
	}
	return convsvcv1.Format(value), nil
}

// ParseMode maps "fragile" or "robust" to the enum.
func ParseMode(name string) (convsvcv1.Mode, error) {
	value, ok := convsvcv1.Mode_value["MODE_"+strings.ToUpper(name)]
	if !ok || value == 0 {
		return 0, errors.New("mode must be fragile or robust")
	}
	return convsvcv1.Mode(value), nil
}
