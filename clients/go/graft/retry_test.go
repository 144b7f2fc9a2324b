package graft

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	_ "github.com/graft-dev/graft/clients/go/graft/v1" // registers the service descriptors
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

type parsedConfig struct {
	MethodConfig []struct {
		Name []struct {
			Service string `json:"service"`
			Method  string `json:"method"`
		} `json:"name"`
		RetryPolicy struct {
			MaxAttempts          int      `json:"maxAttempts"`
			InitialBackoff       string   `json:"initialBackoff"`
			MaxBackoff           string   `json:"maxBackoff"`
			BackoffMultiplier    float64  `json:"backoffMultiplier"`
			RetryableStatusCodes []string `json:"retryableStatusCodes"`
		} `json:"retryPolicy"`
	} `json:"methodConfig"`
}

func TestRetryServiceConfigIsValid(t *testing.T) {
	sc := DefaultRetryPolicy().serviceConfig()
	var cfg parsedConfig
	if err := json.Unmarshal([]byte(sc), &cfg); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, sc)
	}
	if len(cfg.MethodConfig) != 1 {
		t.Fatalf("want one methodConfig: %s", sc)
	}
	rp := cfg.MethodConfig[0].RetryPolicy
	if rp.MaxAttempts != 4 || rp.InitialBackoff != "0.1s" || rp.MaxBackoff != "2s" || rp.BackoffMultiplier != 2 ||
		len(rp.RetryableStatusCodes) != 1 || rp.RetryableStatusCodes[0] != "UNAVAILABLE" {
		t.Errorf("retry policy %+v", rp)
	}
	seen := map[string]bool{}
	for _, n := range cfg.MethodConfig[0].Name {
		full := n.Service + "." + n.Method
		seen[full] = true
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(full))
		if err != nil {
			t.Errorf("%s is not an RPC of the API: %v", full, err)
			continue
		}
		if _, ok := d.(protoreflect.MethodDescriptor); !ok {
			t.Errorf("%s is a %T, not a method", full, d)
		}
	}
	for _, m := range []string{"graft.v1.TrainingService.Train", "graft.v1.DatasetService.UploadDataset",
		"graft.v1.ModelService.ImportModel", "graft.v1.ModelService.DeleteModel"} {
		if seen[m] {
			t.Errorf("%s is not idempotent and must not be retried", m)
		}
	}
	for _, m := range []string{"graft.v1.InferenceService.Predict", "graft.v1.TrainingService.WatchJob",
		"graft.v1.ModelService.GetModel", "graft.v1.ServerService.GetServerInfo"} {
		if !seen[m] {
			t.Errorf("%s should be retried", m)
		}
	}
	// gRPC itself parses the config when the client is made and refuses an invalid one.
	conn, err := grpc.NewClient("localhost:1", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(sc))
	if err != nil {
		t.Fatalf("gRPC refused the service config: %v", err)
	}
	conn.Close()
	if _, err := grpc.NewClient("localhost:1", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(`{"methodConfig": [{"retryPolicy": {"maxAttempts": "x"}}]}`)); err == nil {
		t.Error("the check above must be able to fail: gRPC accepted a broken config")
	}
}

func TestRetryPolicyValidation(t *testing.T) {
	if RetryPolicy.serviceConfig(RetryPolicy{MaxAttempts: 1}) != "" {
		t.Error("one attempt means no retry config")
	}
	for _, p := range []RetryPolicy{
		{MaxAttempts: 0},
		{MaxAttempts: 6, InitialBackoff: time.Second, MaxBackoff: time.Second, BackoffMultiplier: 2},
		{MaxAttempts: 3, InitialBackoff: 0, MaxBackoff: time.Second, BackoffMultiplier: 2},
		{MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: time.Millisecond, BackoffMultiplier: 2},
	} {
		if _, err := Dial(context.Background(), "localhost:1", WithRetry(p)); err == nil {
			t.Errorf("Dial accepted %+v", p)
		}
	}
	p := RetryPolicy{MaxAttempts: 5, InitialBackoff: 250 * time.Millisecond, MaxBackoff: 3 * time.Second, BackoffMultiplier: 1.5}
	var cfg parsedConfig
	if err := json.Unmarshal([]byte(p.serviceConfig()), &cfg); err != nil {
		t.Fatal(err)
	}
	if rp := cfg.MethodConfig[0].RetryPolicy; rp.InitialBackoff != "0.25s" || rp.MaxBackoff != "3s" || rp.MaxAttempts != 5 {
		t.Errorf("custom policy written as %+v", rp)
	}
}
