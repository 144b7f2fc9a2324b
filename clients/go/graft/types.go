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
)

// Enum values used often enough to deserve a short name.
const (
	DatasetFormatJSONL    = graftv1.DatasetFormat_DATASET_FORMAT_JSONL
	DatasetFormatCSV      = graftv1.DatasetFormat_DATASET_FORMAT_CSV
	DatasetFormatIDX      = graftv1.DatasetFormat_DATASET_FORMAT_IDX
	DatasetFormatExamples = graftv1.DatasetFormat_DATASET_FORMAT_EXAMPLES
	DatasetFormatZIP      = graftv1.DatasetFormat_DATASET_FORMAT_ZIP

	TaskClassification = graftv1.Task_TASK_CLASSIFICATION
	TaskRegression     = graftv1.Task_TASK_REGRESSION
	TaskForecasting    = graftv1.Task_TASK_FORECASTING

	JobQueued    = graftv1.JobState_JOB_STATE_QUEUED
	JobRunning   = graftv1.JobState_JOB_STATE_RUNNING
	JobSucceeded = graftv1.JobState_JOB_STATE_SUCCEEDED
	JobFailed    = graftv1.JobState_JOB_STATE_FAILED
	JobCancelled = graftv1.JobState_JOB_STATE_CANCELLED

	PoolingDefault = graftv1.Pooling_POOLING_DEFAULT
	PoolingMean    = graftv1.Pooling_POOLING_MEAN
	PoolingCLS     = graftv1.Pooling_POOLING_CLS
	PoolingMax     = graftv1.Pooling_POOLING_MAX
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
