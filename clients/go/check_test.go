// The live check: the shared vectors byte for byte, a BadRequest, an idempotent replay, a deadline and
// a stream, against the server at $CONVSVC_ADDRESS; each check prints its "PASS ..." line on success.
package convsvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	convsvc "convsvc.example/clients/go"
	convsvcv1 "convsvc.example/clients/go/gen/convsvc/v1"
)

var client convsvcv1.ConversionServiceClient

func TestMain(m *testing.M) {
	address := os.Getenv("CONVSVC_ADDRESS")
	if address == "" {
		fmt.Fprintln(os.Stderr, "CONVSVC_ADDRESS (host:port of a running convsvc server) is not set")
		os.Exit(2)
	}
	conn, err := convsvc.Dial(address)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	client = convsvcv1.NewConversionServiceClient(conn)
	code := m.Run()
	conn.Close()
	os.Exit(code)
}

// vector is one case of corpus/vectors/manifest.json.
type vector struct {
	ID      string          `json:"id"`
	Input   string          `json:"input"`
	Request json.RawMessage `json:"request"` // ProtoJSON of a ConvertRequest, without the payload
	Output  string          `json:"output"`
	Error   *struct {
		Code   codes.Code `json:"code"` // a status name, e.g. "INVALID_ARGUMENT"
		Reason string     `json:"reason"`
		Field  string     `json:"field"`
	} `json:"error"`
}

func TestVectors(t *testing.T) {
	dir := os.Getenv("CONVSVC_VECTORS")
	if dir == "" {
		dir = filepath.Join("..", "..", "corpus", "vectors")
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []vector
	if err := json.Unmarshal(manifest, &vectors); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(vectors) == 0 {
		t.Fatal("manifest.json holds no vectors")
	}
	passed := 0
	for _, v := range vectors {
		if err := checkVector(dir, v); err != nil {
			t.Errorf("vector %s: %v", v.ID, err)
			continue
		}
		passed++
	}
	if passed == len(vectors) {
		fmt.Printf("PASS vectors %d/%d\n", passed, len(vectors))
	}
}

func checkVector(dir string, v vector) error {
	request := &convsvcv1.ConvertRequest{}
	if err := protojson.Unmarshal(v.Request, request); err != nil {
		return fmt.Errorf("request: %w", err)
	}
	payload, err := os.ReadFile(filepath.Join(dir, v.Input))
	if err != nil {
		return err
	}
	request.Payload = payload
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	response, err := client.Convert(ctx, request)
	if v.Error == nil {
		if err != nil {
			return fmt.Errorf("expected %s, got %v", v.Output, err)
		}
		want, err := os.ReadFile(filepath.Join(dir, v.Output))
		if err != nil {
			return err
		}
		if !bytes.Equal(response.GetPayload(), want) {
			return fmt.Errorf("expected %q, got %q", want, response.GetPayload())
		}
		return nil
	}
	want := fmt.Sprintf("%s reason=%s field=%q", convsvc.CodeName(v.Error.Code), v.Error.Reason, v.Error.Field)
	if err == nil {
		return fmt.Errorf("expected %s, got a payload %q", want, response.GetPayload())
	}
	refusal, ok := convsvc.RefusalOf(err)
	if !ok {
		return fmt.Errorf("expected %s, got %v", want, err)
	}
	got := fmt.Sprintf("%s reason=%s field=%q", convsvc.CodeName(refusal.Code), refusal.ErrorInfo.GetReason(),
		refusal.FirstViolation().GetField())
	if refusal.FirstViolation() == nil {
		got += " (no BadRequest violation)"
	}
	if got != want {
		return fmt.Errorf("expected %s, got %s (%s)", want, got, refusal.Message)
	}
	return nil
}

func TestBadRequest(t *testing.T) {
	schema := `{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}`
	request := &convsvcv1.ConvertRequest{
		Source: &convsvcv1.FormatSpec{
			Format: convsvcv1.Format_FORMAT_JSON,
			Schema: &convsvcv1.SchemaRef{Ref: &convsvcv1.SchemaRef_Inline{Inline: &convsvcv1.InlineSchema{
				Type: convsvcv1.SchemaType_SCHEMA_TYPE_JSON, Text: schema,
			}}},
		},
		Target:  &convsvcv1.FormatSpec{Format: convsvcv1.Format_FORMAT_YAML},
		Payload: []byte(`{"id": "seven"}`),
		Mode:    convsvcv1.Mode_MODE_FRAGILE,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	response, err := client.Convert(ctx, request)
	if err == nil {
		t.Fatalf("expected INVALID_ARGUMENT, got a payload %q", response.GetPayload())
	}
	refusal, ok := convsvc.RefusalOf(err)
	if !ok {
		t.Fatalf("expected INVALID_ARGUMENT, got %v", err)
	}
	if refusal.Code != codes.InvalidArgument {
		t.Fatalf("expected INVALID_ARGUMENT, got %s", refusal.Error())
	}
	violation := refusal.FirstViolation()
	if violation.GetField() != "/id" || violation.GetReason() != "SCHEMA_VIOLATION" {
		t.Fatalf("expected a first BadRequest violation with field /id and reason SCHEMA_VIOLATION, got %v",
			refusal.BadRequest)
	}
	if refusal.ErrorInfo.GetReason() != "SCHEMA_VIOLATION" || refusal.ErrorInfo.GetDomain() != "convsvc" {
		t.Fatalf("expected ErrorInfo reason SCHEMA_VIOLATION domain convsvc, got %v", refusal.ErrorInfo)
	}
	fmt.Printf("PASS bad-request %s: %s\n", violation.GetField(), violation.GetDescription())
}

func TestIdempotentReplay(t *testing.T) {
	key := uuid.NewString()
	request := &convsvcv1.ConvertRequest{
		Source:  &convsvcv1.FormatSpec{Format: convsvcv1.Format_FORMAT_JSON},
		Target:  &convsvcv1.FormatSpec{Format: convsvcv1.Format_FORMAT_YAML},
		Payload: []byte(`{"id": 7}`),
	}
	var replayed [2]string
	for i := range replayed {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var trailer metadata.MD
		response, err := client.Convert(convsvc.CallOptions{IdempotencyKey: key}.Context(ctx), request,
			grpc.Trailer(&trailer))
		cancel()
		if err != nil {
			t.Fatalf("call %d: expected %q, got %v", i+1, "id: 7\n", err)
		}
		if got := string(response.GetPayload()); got != "id: 7\n" {
			t.Fatalf("call %d: expected %q, got %q", i+1, "id: 7\n", got)
		}
		if values := trailer.Get("idempotent-replayed"); len(values) > 0 {
			replayed[i] = values[0]
		}
	}
	if replayed[0] == "true" || replayed[1] != "true" {
		t.Fatalf("expected idempotent-replayed: true on the second call only, got %q then %q",
			replayed[0], replayed[1])
	}
	fmt.Printf("PASS idempotent-replay key %s\n", key)
}

func TestDeadlineExceeded(t *testing.T) {
	var payload bytes.Buffer
	for n := range 90_000 {
		fmt.Fprintf(&payload, `{"id": %d, "name": "record number %d", "tags": ["a", "b", "c"], "value": 12.5, "ok": true}`+"\n", n, n)
	}
	jsonl := &convsvcv1.FormatSpec{Format: convsvcv1.Format_FORMAT_JSON, Encoding: "jsonl"}
	request := &convsvcv1.ConvertRequest{Source: jsonl, Target: jsonl, Payload: payload.Bytes()}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	started := time.Now()
	response, err := client.Convert(ctx, request)
	if err == nil {
		t.Fatalf("expected DEADLINE_EXCEEDED, got %d bytes", len(response.GetPayload()))
	}
	refusal, _ := convsvc.RefusalOf(err)
	if refusal == nil || refusal.Code != codes.DeadlineExceeded {
		t.Fatalf("expected DEADLINE_EXCEEDED, got %v", err)
	}
	fmt.Printf("PASS deadline-exceeded %d bytes, after %s\n", payload.Len(), time.Since(started).Round(time.Millisecond))
}

func TestStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := client.ConvertStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	requests := []*convsvcv1.ConvertStreamRequest{{Item: &convsvcv1.ConvertStreamRequest_Spec{Spec: &convsvcv1.StreamSpec{
		Source: &convsvcv1.FormatSpec{Format: convsvcv1.Format_FORMAT_JSON},
		Target: &convsvcv1.FormatSpec{Format: convsvcv1.Format_FORMAT_YAML},
	}}}}
	for n := 1; n <= 3; n++ {
		record := []byte(fmt.Sprintf(`{"n": %d}`, n))
		requests = append(requests, &convsvcv1.ConvertStreamRequest{Item: &convsvcv1.ConvertStreamRequest_Record{Record: record}})
	}
	for _, request := range requests {
		if err := stream.Send(request); errors.Is(err, io.EOF) {
			break // the server ended the stream: Recv below returns its status
		} else if err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		response, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, fmt.Sprintf("%d %q", response.GetIndex(), response.GetRecord()))
		if response.GetError() != nil {
			got[len(got)-1] += fmt.Sprintf(" error %v", response.GetError())
		}
	}
	want := []string{`0 "---\n'n': 1\n"`, `1 "---\n'n': 2\n"`, `2 "---\n'n': 3\n"`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("expected %q, got %q", want, got)
	}
	fmt.Printf("PASS stream %d records\n", len(got))
}
