// Command convert sends stdin to a convsvc server's Convert and writes the converted payload to
// stdout; a refusal prints the status and each BadRequest violation on stderr and exits 1.
//
//	echo '{"a": 1}' | convert --target localhost:50051 --from json --to yaml
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	convsvc "convsvc.example/clients/go"
	convsvcv1 "convsvc.example/clients/go/gen/convsvc/v1"
)

// The exit codes of the convsvc CLI.
const (
	exitOK          = 0
	exitRefused     = 1
	exitUsage       = 2
	exitUnreachable = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("convert", flag.ContinueOnError)
	flags.SetOutput(stderr)
	target := flags.String("target", "localhost:50051", "the server, `HOST:PORT` (plaintext)")
	from := flags.String("from", "", "source `FORMAT`: json, yaml, avro, protobuf or xml (required)")
	to := flags.String("to", "", "target `FORMAT` (required)")
	fromEncoding := flags.String("from-encoding", "", "source encoding (default: the format's)")
	toEncoding := flags.String("to-encoding", "", "target encoding (default: the format's)")
	modeName := flags.String("mode", "fragile", "fragile or robust")
	deadline := flags.Float64("deadline", 30, "give up after this many `SECONDS`")
	idempotencyKey := flags.String("idempotency-key", "", "a retry with the same `KEY` replays the first answer")
	apiKey := flags.String("api-key", os.Getenv("CONVSVC_API_KEY"), "API key (default: $CONVSVC_API_KEY)")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	request, err := buildRequest(*from, *to, *fromEncoding, *toEncoding, *modeName)
	if err == nil && (*deadline <= 0 || flags.NArg() > 0) {
		err = errors.New("--deadline must be positive and no arguments are taken (the payload is stdin)")
	}
	if err != nil {
		fmt.Fprintf(stderr, "convert: %v\n", err)
		return exitUsage
	}
	if request.Payload, err = io.ReadAll(stdin); err != nil {
		fmt.Fprintf(stderr, "convert: reading stdin: %v\n", err)
		return exitUsage
	}

	conn, err := convsvc.Dial(*target)
	if err != nil {
		fmt.Fprintf(stderr, "convert: %v\n", err)
		return exitUsage
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(*deadline*float64(time.Second)))
	defer cancel()
	ctx = convsvc.CallOptions{APIKey: *apiKey, IdempotencyKey: *idempotencyKey}.Context(ctx)

	response, err := convsvcv1.NewConversionServiceClient(conn).Convert(ctx, request)
	if err != nil {
		return reportRefusal(err, stderr)
	}
	for _, issue := range response.GetReport().GetIssues() {
		fmt.Fprintf(stderr, "convert: %s: %s %s: %s\n", severityName(issue.GetSeverity()),
			strings.TrimPrefix(issue.GetCode().String(), "ISSUE_CODE_"), issue.GetPath(), issue.GetMessage())
	}
	if _, err := stdout.Write(response.GetPayload()); err != nil {
		fmt.Fprintf(stderr, "convert: writing stdout: %v\n", err)
		return exitUsage
	}
	return exitOK
}

func buildRequest(from, to, fromEncoding, toEncoding, modeName string) (*convsvcv1.ConvertRequest, error) {
	source, err := convsvc.ParseFormat(from)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	target, err := convsvc.ParseFormat(to)
	if err != nil {
		return nil, fmt.Errorf("--to: %w", err)
	}
	mode, err := convsvc.ParseMode(modeName)
	if err != nil {
		return nil, fmt.Errorf("--mode: %w", err)
	}
	return &convsvcv1.ConvertRequest{
		Source: &convsvcv1.FormatSpec{Format: source, Encoding: fromEncoding},
		Target: &convsvcv1.FormatSpec{Format: target, Encoding: toEncoding},
		Mode:   mode,
	}, nil
}

// reportRefusal prints the status and every BadRequest violation (field: description).
func reportRefusal(err error, stderr io.Writer) int {
	refusal, ok := convsvc.RefusalOf(err)
	if !ok {
		fmt.Fprintf(stderr, "convert: %v\n", err)
		return exitRefused
	}
	fmt.Fprintf(stderr, "convert: %s\n", refusal.Error())
	for _, violation := range refusal.BadRequest.GetFieldViolations() {
		fmt.Fprintf(stderr, "%s: %s\n", violation.GetField(), violation.GetDescription())
	}
	if refusal.Code == codes.Unavailable {
		return exitUnreachable
	}
	return exitRefused
}

func severityName(severity convsvcv1.Severity) string {
	return strings.ToLower(strings.TrimPrefix(severity.String(), "SEVERITY_"))
}
