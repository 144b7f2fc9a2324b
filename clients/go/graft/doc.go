// Package graft is the Go client of Graft, a gRPC server for transfer learning.
//
// Dial a server, then call its methods; every method takes a context.Context first:
//
//	c, err := graft.Dial(ctx, "localhost:50051")
//	if err != nil { ... }
//	defer c.Close()
//	ds, err := c.UploadDatasetFile(ctx, &graft.DatasetSpec{Name: "reviews", Domain: "nlp",
//		Format: graft.DatasetFormatJSONL}, "reviews.jsonl")
//	job, err := c.Train(ctx, &graft.TrainRequest{BaseModel: "minilm-l6",
//		Strategy: "feature-extraction", OutputModel: "reviews", Train: graft.FromDataset(ds.Id)})
//	job, err = c.Wait(ctx, job.Id)
//	res, err := c.Predict(ctx, "reviews", graft.Texts("what a lovely day"), 2)
//
// Every call sets the x-graft-model header (the model the call is about), gets the client's
// default deadline when its context has none (unary calls only), and is retried on UNAVAILABLE
// when it is safe to repeat. Errors from the server are *Error values (see errors.As).
//
// Constants: short names for the API's enum values, each the generated graftv1 value itself:
//
//   - dataset formats: DatasetFormatJSONL, DatasetFormatCSV, DatasetFormatIDX,
//     DatasetFormatExamples, DatasetFormatZIP (DatasetSpec.Format);
//   - tasks: TaskClassification, TaskRegression, TaskForecasting (left unset, inferred);
//   - job states: JobQueued, JobRunning, then one of JobSucceeded, JobFailed, JobCancelled
//     (IsTerminal reports the last three);
//   - Extract poolings: PoolingDefault, PoolingMean, PoolingCLS, PoolingMax (WithPooling).
//
// And Version (this client's version), ErrorDomain (the ErrorInfo domain of the server's
// errors, "graft.dev"), ModelHeader (the x-graft-model metadata key) and DefaultTimeout (the
// deadline of unary calls whose context has none, 60 s).
//
// The generated stubs live in package graftv1 (github.com/graft-dev/graft/clients/go/graft/v1);
// the wrapper's request and response types are aliases of them.
package graft

//go:generate ../generate.sh
