package graft

import (
	"encoding/json"
	"fmt"
	"time"
)

// RetryPolicy is the gRPC retry policy applied to the calls that are safe to repeat (reads,
// Predict, Extract, CancelJob, WatchJob before its first event) when they fail with
// UNAVAILABLE. Train and uploads are never retried: a repeat could create a second job or
// dataset.
type RetryPolicy struct {
	MaxAttempts       int           // total tries, 1..5 (gRPC caps it at 5); 1 = no retry
	InitialBackoff    time.Duration // first pause (randomised by gRPC between 0 and this)
	MaxBackoff        time.Duration
	BackoffMultiplier float64
}

// DefaultRetryPolicy is 4 tries, backoff 0.1 s doubling up to 2 s (as the Java client).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, InitialBackoff: 100 * time.Millisecond,
		MaxBackoff: 2 * time.Second, BackoffMultiplier: 2}
}

// idempotentMethods are the RPCs retried on UNAVAILABLE, as service → methods.
var idempotentMethods = []struct {
	service string
	methods []string
}{
	{"graft.v1.InferenceService", []string{"Extract", "Predict"}},
	{"graft.v1.ModelService", []string{"GetModel", "ListModels", "ExportModel"}},
	{"graft.v1.DatasetService", []string{"GetDataset", "ListDatasets"}},
	{"graft.v1.TrainingService", []string{"GetJob", "ListJobs", "WatchJob", "CancelJob"}},
	{"graft.v1.ServerService", []string{"GetServerInfo"}},
}

func (p RetryPolicy) validate() error {
	if p.MaxAttempts < 1 || p.MaxAttempts > 5 {
		return fmt.Errorf("graft: RetryPolicy.MaxAttempts must be 1..5, got %d", p.MaxAttempts)
	}
	if p.MaxAttempts == 1 {
		return nil
	}
	if p.InitialBackoff <= 0 || p.MaxBackoff < p.InitialBackoff || p.BackoffMultiplier <= 0 {
		return fmt.Errorf("graft: RetryPolicy needs InitialBackoff > 0, MaxBackoff >= InitialBackoff and BackoffMultiplier > 0")
	}
	return nil
}

// serviceConfig is the gRPC service config (JSON) carrying the retry policy; "" when retries
// are off.
func (p RetryPolicy) serviceConfig() string {
	if p.MaxAttempts <= 1 {
		return ""
	}
	type name struct {
		Service string `json:"service"`
		Method  string `json:"method"`
	}
	type retryPolicy struct {
		MaxAttempts          int      `json:"maxAttempts"`
		InitialBackoff       string   `json:"initialBackoff"`
		MaxBackoff           string   `json:"maxBackoff"`
		BackoffMultiplier    float64  `json:"backoffMultiplier"`
		RetryableStatusCodes []string `json:"retryableStatusCodes"`
	}
	type methodConfig struct {
		Name        []name      `json:"name"`
		RetryPolicy retryPolicy `json:"retryPolicy"`
	}
	var names []name
	for _, s := range idempotentMethods {
		for _, m := range s.methods {
			names = append(names, name{s.service, m})
		}
	}
	cfg := struct {
		MethodConfig []methodConfig `json:"methodConfig"`
	}{[]methodConfig{{Name: names, RetryPolicy: retryPolicy{
		MaxAttempts:          p.MaxAttempts,
		InitialBackoff:       seconds(p.InitialBackoff),
		MaxBackoff:           seconds(p.MaxBackoff),
		BackoffMultiplier:    p.BackoffMultiplier,
		RetryableStatusCodes: []string{"UNAVAILABLE"},
	}}}}
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // only plain structs of strings and numbers: cannot fail
	}
	return string(b)
}

// seconds writes a duration as the service config's JSON duration ("0.1s").
func seconds(d time.Duration) string {
	return fmt.Sprintf("%gs", d.Seconds())
}
