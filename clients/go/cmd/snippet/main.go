// The Go snippet of docs/clients.md (the lines between the snippet markers, as they are): one Convert
// call that converts and one that is refused, against the server named by the first argument.
// check.sh runs it and compares what it prints with clients/snippet.expected.

// snippet:start
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	convsvcv1 "convsvc.example/clients/go/gen/convsvc/v1" // generated from proto/ by buf
)

// The source's JSON Schema: an object whose "id" is an integer.
const schema = `{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}`

func main() {
	address := "localhost:50051"
	if len(os.Args) > 1 {
		address = os.Args[1]
	}
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := convsvcv1.NewConversionServiceClient(conn)
	convert(client, `{"id": 7}`)       // id: 7
	convert(client, `{"id": "seven"}`) // refused: SCHEMA_VIOLATION at /id: ...
}

// convert converts payload from JSON to YAML and prints the YAML, or why the server refused it.
func convert(client convsvcv1.ConversionServiceClient, payload string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // the call's deadline
	defer cancel()
	response, err := client.Convert(ctx, &convsvcv1.ConvertRequest{
		Source: &convsvcv1.FormatSpec{
			Format: convsvcv1.Format_FORMAT_JSON,
			Schema: &convsvcv1.SchemaRef{Ref: &convsvcv1.SchemaRef_Inline{Inline: &convsvcv1.InlineSchema{
				Type: convsvcv1.SchemaType_SCHEMA_TYPE_JSON,
				Text: schema,
			}}},
		},
		Target:  &convsvcv1.FormatSpec{Format: convsvcv1.Format_FORMAT_YAML},
		Payload: []byte(payload),
	})
	if err == nil {
		fmt.Print(string(response.GetPayload()))
		return
	}
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument { // not a refusal of the payload (UNAVAILABLE, ...)
		log.Fatal(err)
	}
	fmt.Println("refused:", st.Message())
	for _, detail := range st.Details() { // the google.rpc.Status of the grpc-status-details-bin trailer
		if badRequest, ok := detail.(*errdetails.BadRequest); ok { // other detail types are skipped
			for _, violation := range badRequest.GetFieldViolations() {
				fmt.Printf("%s: %s\n", violation.GetField(), violation.GetDescription())
			}
		}
	}
}

// snippet:end
