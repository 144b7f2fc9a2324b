package graft

import graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"

// Aliases of the API messages the wrapper takes and returns, so that most programs need only
// this package. They are the generated graftv1 types themselves.
type (
	Input           = graftv1.Input
	Example         = graftv1.Example
	DataSource      = graftv1.DataSource
	Dataset         = graftv1.Dataset
	DatasetSpec     = graftv1.DatasetSpec
	DatasetFormat   = graftv1.DatasetFormat
	Task            = graftv1.Task
	TrainRequest    = graftv1.TrainRequest
	Hyperparameters = graftv1.Hyperparameters
	Job             = graftv1.Job
	JobEvent        = graftv1.JobEvent
	JobState        = graftv1.JobState
	Metric          = graftv1.Metric
	Model           = graftv1.Model
	PredictResponse = graftv1.PredictResponse
	Prediction      = graftv1.Prediction
	ClassScore      = graftv1.ClassScore
	Pooling         = graftv1.Pooling
	ServerInfo      = graftv1.ServerInfo

	EstimateTransferRequest  = graftv1.EstimateTransferRequest
	EstimateTransferResponse = graftv1.EstimateTransferResponse
	TransferEstimate         = graftv1.TransferEstimate
)

// Short names for the enum values of the API, so that programs need not spell the generated
// graftv1 names (graftv1.JobState_JOB_STATE_SUCCEEDED is JobSucceeded). Each is the generated
// value itself, of the generated type. The UNSPECIFIED zero values have no short name (Pooling's
// zero is PoolingDefault). The README's "Constants" section lists them all.

// Dataset formats (DatasetSpec.Format; UploadDatasetFile infers one from the file name).
const (
	DatasetFormatJSONL    = graftv1.DatasetFormat_DATASET_FORMAT_JSONL    // one JSON object a line: {"text"|"image"|"series", "label"|"value"|"values"}
	DatasetFormatCSV      = graftv1.DatasetFormat_DATASET_FORMAT_CSV      // a header row; DatasetSpec.Options name the columns (text_column, label_column, ...)
	DatasetFormatIDX      = graftv1.DatasetFormat_DATASET_FORMAT_IDX      // an MNIST-style pair sent as two parts, "images" and "labels"
	DatasetFormatExamples = graftv1.DatasetFormat_DATASET_FORMAT_EXAMPLES // length-delimited Example messages (what UploadExamples sends)
	DatasetFormatZIP      = graftv1.DatasetFormat_DATASET_FORMAT_ZIP      // a zip of class_name/file folders
)

// Tasks (DatasetSpec.Task, TrainRequest.Task); left unset, the server infers the task from the targets.
const (
	TaskClassification = graftv1.Task_TASK_CLASSIFICATION // targets are labels
	TaskRegression     = graftv1.Task_TASK_REGRESSION     // targets are numbers
	TaskForecasting    = graftv1.Task_TASK_FORECASTING    // targets are the next values of a series
)

// Job states (Job.State), in the order a job goes through them; see IsTerminal.
const (
	JobQueued    = graftv1.JobState_JOB_STATE_QUEUED    // waiting for a device of its pool
	JobRunning   = graftv1.JobState_JOB_STATE_RUNNING   // training
	JobSucceeded = graftv1.JobState_JOB_STATE_SUCCEEDED // ended; Job.ResultModel names the model made
	JobFailed    = graftv1.JobState_JOB_STATE_FAILED    // ended; JobError(job) says why
	JobCancelled = graftv1.JobState_JOB_STATE_CANCELLED // ended by Cancel
)

// Poolings of Extract (WithPooling): how token or patch features become one vector.
const (
	PoolingDefault = graftv1.Pooling_POOLING_DEFAULT // the model's own choice
	PoolingMean    = graftv1.Pooling_POOLING_MEAN    // the mean over tokens or patches
	PoolingCLS     = graftv1.Pooling_POOLING_CLS     // the first ([CLS]) token's features
	PoolingMax     = graftv1.Pooling_POOLING_MAX     // the maximum of each feature
)

// IsTerminal reports whether a job in state s has ended (SUCCEEDED, FAILED or CANCELLED).
func IsTerminal(s JobState) bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// Text is a text input.
func Text(s string) *Input {
	return &Input{Value: &graftv1.Input_Text{Text: &graftv1.Text{Text: s}}}
}

// TextPair is a sentence-pair input.
func TextPair(first, second string) *Input {
	return &Input{Value: &graftv1.Input_Text{Text: &graftv1.Text{Text: first, Pair: second}}}
}

// Texts is one text input per string.
func Texts(s ...string) []*Input {
	out := make([]*Input, len(s))
	for i, t := range s {
		out[i] = Text(t)
	}
	return out
}

// Image is an encoded image input (PNG, JPEG, BMP or GIF bytes).
func Image(encoded []byte) *Input {
	return &Input{Value: &graftv1.Input_Image{Image: &graftv1.Image{Encoded: encoded}}}
}

// Series is a time-series input; with channels > 1 the values are interleaved by time step.
func Series(values []float32, channels int32) *Input {
	return &Input{Value: &graftv1.Input_Series{Series: &graftv1.Series{Values: values, Channels: channels}}}
}

// Labeled is a classification example.
func Labeled(in *Input, label string) *Example {
	return &Example{Input: in, Target: &graftv1.Target{Kind: &graftv1.Target_Label{Label: label}}}
}

// Valued is a regression example.
func Valued(in *Input, value float32) *Example {
	return &Example{Input: in, Target: &graftv1.Target{Kind: &graftv1.Target_Value{Value: value}}}
}

// FromDataset is a data source naming an uploaded dataset (id or name).
func FromDataset(idOrName string) *DataSource {
	return &DataSource{Source: &graftv1.DataSource_Dataset{Dataset: idOrName}}
}

// FromExamples is a data source carrying its examples inline (for small jobs).
func FromExamples(examples []*Example) *DataSource {
	return &DataSource{Source: &graftv1.DataSource_Examples{Examples: &graftv1.InlineExamples{Examples: examples}}}
}
