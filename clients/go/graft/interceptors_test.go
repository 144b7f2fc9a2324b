package graft

import (
	"context"
	"testing"
	"time"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// headerSeen runs the model-header interceptor on req and returns the x-graft-model values the
// call would send.
func headerSeen(t *testing.T, ctx context.Context, req any) []string {
	t.Helper()
	var got []string
	invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		md, _ := metadata.FromOutgoingContext(ctx)
		got = md.Get(ModelHeader)
		return nil
	}
	if err := modelHeaderInterceptor(ctx, "/m", req, nil, nil, invoker); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestModelHeaderFromRequest(t *testing.T) {
	cases := []struct {
		req  any
		want string
	}{
		{&graftv1.PredictRequest{Model: "reviews@2"}, "reviews@2"},
		{&graftv1.ExtractRequest{Model: "minilm-l6"}, "minilm-l6"},
		{&graftv1.TrainRequest{BaseModel: "minilm-l6", OutputModel: "reviews"}, "reviews"},
		{&graftv1.GetModelRequest{Name: "reviews"}, "reviews"},
		{&graftv1.DeleteModelRequest{Name: "old"}, "old"},
	}
	for _, c := range cases {
		got := headerSeen(t, context.Background(), c.req)
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%T: header %v, want [%s]", c.req, got, c.want)
		}
	}
	if got := headerSeen(t, context.Background(), &graftv1.ListJobsRequest{}); len(got) != 0 {
		t.Errorf("ListJobs is about no model, got header %v", got)
	}
	if got := headerSeen(t, context.Background(), &graftv1.PredictRequest{}); len(got) != 0 {
		t.Errorf("an empty model sends no header, got %v", got)
	}
}

func TestModelHeaderKeepsCallersValue(t *testing.T) {
	ctx := metadata.AppendToOutgoingContext(context.Background(), ModelHeader, "chosen")
	got := headerSeen(t, ctx, &graftv1.PredictRequest{Model: "other"})
	if len(got) != 1 || got[0] != "chosen" {
		t.Errorf("header %v, want [chosen]", got)
	}
}

func TestJobCallsCarryTheJobsModel(t *testing.T) {
	c := &Client{jobs: newJobModels(2)}
	c.jobs.remember(&graftv1.Job{Id: "j1", OutputModel: "reviews"})
	md, _ := metadata.FromOutgoingContext(c.jobContext(context.Background(), "j1"))
	if got := md.Get(ModelHeader); len(got) != 1 || got[0] != "reviews" {
		t.Errorf("header %v, want [reviews]", got)
	}
	c.jobs.remember(&graftv1.Job{Id: "j2", OutputModel: "b"})
	c.jobs.remember(&graftv1.Job{Id: "j3", OutputModel: "c"})
	if c.jobs.model("j1") != "" || c.jobs.model("j3") != "c" {
		t.Error("the cache must stay bounded, dropping the oldest job first")
	}
}

func TestDeadlineInterceptor(t *testing.T) {
	var deadline time.Time
	var has bool
	invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		deadline, has = ctx.Deadline()
		return nil
	}
	icpt := deadlineInterceptor(5 * time.Second)
	start := time.Now()
	_ = icpt(context.Background(), "/m", nil, nil, nil, invoker)
	if !has || deadline.Sub(start) < 4*time.Second || deadline.Sub(start) > 6*time.Second {
		t.Errorf("no deadline of ~5s: %v %v", has, deadline.Sub(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_ = icpt(ctx, "/m", nil, nil, nil, invoker)
	if deadline.Sub(start) < 59*time.Minute {
		t.Errorf("the caller's deadline must win, got %v", deadline.Sub(start))
	}
	_ = deadlineInterceptor(0)(context.Background(), "/m", nil, nil, nil, invoker)
	if has {
		t.Error("timeout 0 must set no deadline")
	}
}

func TestBearerToken(t *testing.T) {
	md, err := bearerToken{token: "s3cret", requireTLS: true}.GetRequestMetadata(context.Background())
	if err != nil || md["authorization"] != "Bearer s3cret" {
		t.Errorf("metadata %v, %v", md, err)
	}
	if !(bearerToken{requireTLS: true}).RequireTransportSecurity() {
		t.Error("a token needs TLS by default")
	}
	if _, err := Dial(context.Background(), "localhost:1", WithBearerToken("t")); err == nil {
		t.Error("Dial must refuse a bearer token over plaintext")
	}
	c, err := Dial(context.Background(), "localhost:1", WithInsecureBearerToken("t"))
	if err != nil {
		t.Fatalf("WithInsecureBearerToken: %v", err)
	}
	c.Close()
}
