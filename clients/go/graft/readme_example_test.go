package graft_test

// The Go examples of clients/go/README.md, verbatim (README formatting, not gofmt's), so that
// go vet and go test compile them; scripts/doc-examples checks that each README block is in this
// file, in order. Not run: they need a server. Edit them here and in the README together.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/graft-dev/graft/clients/go/graft"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
)

// README: Quickstart.
func Example_readmeQuickstart() {
	ctx := context.Background()
	c, err := graft.Dial(ctx, "localhost:50051")
	if err != nil { log.Fatal(err) }
	defer c.Close()

	// Upload a JSONL dataset ({"text": ..., "label": ...} per line).
	ds, err := c.UploadDatasetFile(ctx, &graft.DatasetSpec{
		Name: "reviews", Domain: "nlp", Format: graft.DatasetFormatJSONL}, "reviews.jsonl")

	// Train a classifier head on a frozen base model; returns at once (QUEUED).
	job, err := c.Train(ctx, &graft.TrainRequest{
		BaseModel: "minilm-l6", Strategy: "feature-extraction", OutputModel: "reviews",
		Train: graft.FromDataset(ds.Id), ValidationSplit: 0.25,
		Hyperparameters: &graft.Hyperparameters{Epochs: 30},
	})

	// Follow it: an iterator of (event, error) that ends at the terminal state.
	for ev, err := range c.Watch(ctx, job.Id) {
		if err != nil { log.Fatal(err) }
		fmt.Println(ev.Job.State, ev.Job.GetProgress().GetStep(), ev.Message)
	}
	// (or: job, err = c.Wait(ctx, job.Id); then job.State, graft.JobError(job))

	res, err := c.Predict(ctx, "reviews", graft.Texts("what a lovely day", "awful service"), 2)
	fmt.Println(res.Predictions[0].Classes[0].Label) // positive

	vecs, err := c.Extract(ctx, "minilm-l6", graft.Texts("hello"), graft.Normalize()) // [][]float32

	_, err = c.GetModel(ctx, "no-such-model")
	var ge *graft.Error
	if errors.As(err, &ge) && ge.Code == codes.NotFound {
		fmt.Println(ge.Reason) // MODEL_NOT_FOUND
	}
	_ = vecs
}

// README: a server with TLS, client certificates and tokens.
func Example_readmeTLS() {
	ctx := context.Background()
	ca, _ := os.ReadFile("ca.pem")
	cert, _ := os.ReadFile("client.pem")
	key, _ := os.ReadFile("client.key") // PKCS#8, PKCS#1 or SEC 1 PEM
	c, err := graft.Dial(ctx, "graft.example.com:443",
		graft.WithRootCAs(ca),                    // trust your CA instead of the system's roots
		graft.WithClientCertificate(cert, key),   // present a client certificate
		graft.WithBearerToken(os.Getenv("GRAFT_TOKEN")))
	_, _ = c, err
}

// README: tracing.
func readmeTracing(ctx context.Context, c *graft.Client, tracer trace.Tracer) {
	ctx, span := tracer.Start(ctx, "classify")
	defer span.End()
	res, err := c.Predict(ctx, "reviews", graft.Texts("Lovely staff!"), 1) // traceparent: 00-<trace>-<span>-01
	_, _ = res, err
}

var _ = readmeTracing
