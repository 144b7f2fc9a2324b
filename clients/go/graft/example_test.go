package graft_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/graft-dev/graft/clients/go/graft"
	"google.golang.org/grpc/codes"
)

// The README's quickstart; compiled by go test (not run: it needs a server).
func Example() {
	ctx := context.Background()
	c, err := graft.Dial(ctx, "localhost:50051", graft.WithDefaultTimeout(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ds, err := c.UploadDatasetFile(ctx, &graft.DatasetSpec{
		Name: "reviews", Domain: "nlp", Format: graft.DatasetFormatJSONL}, "reviews.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	job, err := c.Train(ctx, &graft.TrainRequest{
		BaseModel:       "minilm-l6",
		Strategy:        "feature-extraction",
		OutputModel:     "reviews",
		Train:           graft.FromDataset(ds.Id),
		ValidationSplit: 0.25,
		Hyperparameters: &graft.Hyperparameters{Epochs: 30},
	})
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range c.Watch(ctx, job.Id) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s step %d: %s\n", ev.Job.State, ev.Job.GetProgress().GetStep(), ev.Message)
	}

	res, err := c.Predict(ctx, "reviews", graft.Texts("what a lovely day", "awful service"), 2)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range res.Predictions {
		fmt.Println(p.Classes[0].Label, p.Classes[0].Score)
	}

	vecs, err := c.Extract(ctx, "minilm-l6", graft.Texts("hello"), graft.Normalize())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(vecs[0]))

	_, err = c.GetModel(ctx, "no-such-model")
	var ge *graft.Error
	if errors.As(err, &ge) && ge.Code == codes.NotFound {
		fmt.Println("not found:", ge.Reason) // MODEL_NOT_FOUND
	}
}
