package graft

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// fakeServer is an in-process stand-in that fails on purpose, to check what the client does
// about it: retries, watch resumption, headers.
type fakeServer struct {
	graftv1.UnimplementedModelServiceServer
	graftv1.UnimplementedTrainingServiceServer
	mu          sync.Mutex
	getCalls    int
	trainCalls  int
	watchCalls  int
	headers     []metadata.MD
	unavailable int // how many GetModel calls fail first
}

func (s *fakeServer) record(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.headers = append(s.headers, md)
}

func (s *fakeServer) GetModel(ctx context.Context, r *graftv1.GetModelRequest) (*graftv1.Model, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(ctx)
	s.getCalls++
	if s.getCalls <= s.unavailable {
		return nil, status.Error(codes.Unavailable, "warming up")
	}
	return &graftv1.Model{Name: r.GetName(), Version: 1}, nil
}

func (s *fakeServer) Train(ctx context.Context, r *graftv1.TrainRequest) (*graftv1.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(ctx)
	s.trainCalls++
	return nil, status.Error(codes.Unavailable, "down")
}

// WatchJob: the first stream sends QUEUED then drops; the second sends RUNNING and SUCCEEDED.
func (s *fakeServer) WatchJob(r *graftv1.WatchJobRequest, stream grpc.ServerStreamingServer[graftv1.JobEvent]) error {
	s.mu.Lock()
	s.record(stream.Context())
	s.watchCalls++
	n := s.watchCalls
	s.mu.Unlock()
	// Each stream sends the history from its beginning: epoch 1 with its first event.
	send := func(st JobState, epochs ...int32) error {
		ev := &graftv1.JobEvent{Job: &graftv1.Job{Id: r.GetId(), State: st}}
		for _, e := range epochs {
			ev.Metrics = append(ev.Metrics, &graftv1.Metric{Name: "loss", Epoch: e})
		}
		return stream.Send(ev)
	}
	if n == 1 {
		if err := send(JobQueued, 1); err != nil {
			return err
		}
		return status.Error(codes.Unavailable, "replica going away")
	}
	if err := send(JobRunning, 1); err != nil {
		return err
	}
	return send(JobSucceeded, 2)
}

func startFake(t *testing.T, fake *fakeServer, opts ...Option) *Client {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	graftv1.RegisterModelServiceServer(srv, fake)
	graftv1.RegisterTrainingServiceServer(srv, fake)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	dial := WithDialOptions(grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return lis.DialContext(ctx)
	}))
	fast := WithRetry(RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, BackoffMultiplier: 2})
	c, err := Dial(context.Background(), "passthrough:///fake", append([]Option{dial, fast}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestIdempotentCallIsRetriedOnUnavailable(t *testing.T) {
	fake := &fakeServer{unavailable: 2}
	c := startFake(t, fake, WithInsecureBearerToken("tok"))
	m, err := c.GetModel(context.Background(), "reviews")
	if err != nil {
		t.Fatalf("GetModel after 2 UNAVAILABLE: %v", err)
	}
	if m.GetName() != "reviews" || fake.getCalls != 3 {
		t.Errorf("model %v after %d calls, want 3", m, fake.getCalls)
	}
	md := fake.headers[len(fake.headers)-1]
	if got := md.Get(ModelHeader); len(got) != 1 || got[0] != "reviews" {
		t.Errorf("server saw %s %v", ModelHeader, got)
	}
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer tok" {
		t.Errorf("server saw authorization %v", got)
	}
}

func TestTrainIsNotRetried(t *testing.T) {
	fake := &fakeServer{}
	c := startFake(t, fake)
	_, err := c.Train(context.Background(), &TrainRequest{OutputModel: "out"})
	var ge *Error
	if !errors.As(err, &ge) || ge.Code != codes.Unavailable {
		t.Fatalf("Train error %v", err)
	}
	if fake.trainCalls != 1 {
		t.Errorf("Train was sent %d times; a retry could start two jobs", fake.trainCalls)
	}
	if got := fake.headers[0].Get(ModelHeader); len(got) != 1 || got[0] != "out" {
		t.Errorf("Train header %v", got)
	}
}

func TestWatchResumesAfterUnavailable(t *testing.T) {
	fake := &fakeServer{}
	c := startFake(t, fake)
	var states []JobState
	var epochs []int32
	for ev, err := range c.Watch(context.Background(), "j1") {
		if err != nil {
			t.Fatalf("Watch: %v (after %v)", err, states)
		}
		states = append(states, ev.GetJob().GetState())
		for _, m := range ev.GetMetrics() {
			epochs = append(epochs, m.GetEpoch())
		}
	}
	if len(epochs) != 2 || epochs[0] != 1 || epochs[1] != 2 {
		t.Errorf("history entries %v, want [1 2]: each once, though the reopened stream sent epoch 1 again", epochs)
	}
	want := []JobState{JobQueued, JobRunning, JobSucceeded}
	if len(states) != len(want) || states[0] != want[0] || states[1] != want[1] || states[2] != want[2] {
		t.Errorf("states %v, want %v", states, want)
	}
	if fake.watchCalls != 2 {
		t.Errorf("%d watch streams, want 2", fake.watchCalls)
	}
}

func TestWaitReturnsTheWholeHistory(t *testing.T) {
	c := startFake(t, &fakeServer{})
	job, err := c.Wait(context.Background(), "j1")
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if job.GetState() != JobSucceeded || len(job.GetHistory()) != 2 || job.GetHistory()[1].GetEpoch() != 2 {
		t.Errorf("job %v, want SUCCEEDED with history epochs [1 2]", job)
	}
}

// SetModelAlias answers the version it was given, aliased.
func (s *fakeServer) SetModelAlias(ctx context.Context, r *graftv1.SetModelAliasRequest) (*graftv1.Model, error) {
	return &graftv1.Model{Name: r.GetName(), Version: r.GetVersion(), Aliases: []string{r.GetAlias()}}, nil
}

func TestSetModelAliasSendsNameAliasAndVersion(t *testing.T) {
	c := startFake(t, &fakeServer{})
	m, err := c.SetModelAlias(context.Background(), "reviews", "prod", 3)
	if err != nil {
		t.Fatalf("SetModelAlias: %v", err)
	}
	if m.GetName() != "reviews" || m.GetVersion() != 3 || len(m.GetAliases()) != 1 || m.GetAliases()[0] != "prod" {
		t.Errorf("model %v, want reviews@3 aliased prod", m)
	}
	if err := c.DeleteModelAlias(context.Background(), "reviews", "prod"); status.Code(err) != codes.Unimplemented {
		t.Errorf("DeleteModelAlias on a server without it: %v, want UNIMPLEMENTED", err)
	}
}

// EstimateTransfer answers one row per base it was asked about.
func (s *fakeServer) EstimateTransfer(ctx context.Context, r *graftv1.EstimateTransferRequest) (*graftv1.EstimateTransferResponse, error) {
	out := &graftv1.EstimateTransferResponse{Task: graftv1.Task_TASK_CLASSIFICATION, Examples: 16}
	for _, b := range r.GetBaseModels() {
		out.Estimates = append(out.Estimates, &graftv1.TransferEstimate{BaseModel: b + "@1", Dimension: 384})
	}
	return out, nil
}

func TestEstimateTransferSendsTheBases(t *testing.T) {
	c := startFake(t, &fakeServer{})
	r, err := c.EstimateTransfer(context.Background(), &EstimateTransferRequest{
		Data: FromDataset("reviews"), BaseModels: []string{"minilm-l6", "bge-small-en"}})
	if err != nil {
		t.Fatalf("EstimateTransfer: %v", err)
	}
	if len(r.GetEstimates()) != 2 || r.GetEstimates()[1].GetBaseModel() != "bge-small-en@1" || r.GetEstimates()[0].ProbeScore != nil {
		t.Errorf("estimates %v", r.GetEstimates())
	}
}
