package graft

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
)

const (
	testTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	testSpanID  = "00f067aa0ba902b7"
)

// traceServer answers GetServerInfo, WatchJob (one terminal event) and UploadDataset, and
// records the metadata of every call by method, through server interceptors.
type traceServer struct {
	graftv1.UnimplementedServerServiceServer
	graftv1.UnimplementedTrainingServiceServer
	graftv1.UnimplementedDatasetServiceServer
	mu   sync.Mutex
	seen map[string][]metadata.MD
}

func (s *traceServer) record(ctx context.Context, method string) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[method] = append(s.seen[method], md)
}

// last is the metadata of the last call to method (its short name).
func (s *traceServer) last(t *testing.T, method string) metadata.MD {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for full, mds := range s.seen {
		if len(mds) > 0 && strings.HasSuffix(full, "/"+method) {
			return mds[len(mds)-1]
		}
	}
	t.Fatalf("the server saw no %s call", method)
	return nil
}

func (s *traceServer) GetServerInfo(context.Context, *graftv1.GetServerInfoRequest) (*graftv1.ServerInfo, error) {
	return &graftv1.ServerInfo{Version: "traced"}, nil
}

func (s *traceServer) WatchJob(r *graftv1.WatchJobRequest, stream grpc.ServerStreamingServer[graftv1.JobEvent]) error {
	return stream.Send(&graftv1.JobEvent{Job: &graftv1.Job{Id: r.GetId(), State: JobSucceeded}})
}

func (s *traceServer) UploadDataset(stream grpc.ClientStreamingServer[graftv1.UploadDatasetRequest, graftv1.Dataset]) error {
	var name string
	for {
		m, err := stream.Recv()
		if err != nil {
			break
		}
		if spec := m.GetSpec(); spec != nil {
			name = spec.GetName()
		}
	}
	return stream.SendAndClose(&graftv1.Dataset{Id: "d1", Name: name})
}

func startTraceServer(t *testing.T, opts ...Option) (*Client, *traceServer) {
	t.Helper()
	fake := &traceServer{seen: map[string][]metadata.MD{}}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			fake.record(ctx, info.FullMethod)
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			fake.record(ss.Context(), info.FullMethod)
			return h(srv, ss)
		}))
	graftv1.RegisterServerServiceServer(srv, fake)
	graftv1.RegisterTrainingServiceServer(srv, fake)
	graftv1.RegisterDatasetServiceServer(srv, fake)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	dial := WithDialOptions(grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return lis.DialContext(ctx)
	}))
	c, err := Dial(context.Background(), "passthrough:///traced", append([]Option{dial}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, fake
}

func spanContext(t *testing.T, flags trace.TraceFlags, state string) trace.SpanContext {
	t.Helper()
	tid, err := trace.TraceIDFromHex(testTraceID)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := trace.SpanIDFromHex(testSpanID)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := trace.ParseTraceState(state)
	if err != nil {
		t.Fatal(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, TraceState: ts})
}

func expectHeader(t *testing.T, md metadata.MD, key string, want ...string) {
	t.Helper()
	if got := md.Get(key); !slices.Equal(got, want) {
		t.Errorf("server saw %s %q, want %q", key, got, want)
	}
}

func TestTraceparentFromTheCallsContext(t *testing.T) {
	c, fake := startTraceServer(t)
	ctx := trace.ContextWithSpanContext(context.Background(), spanContext(t, trace.FlagsSampled, ""))
	info, err := c.ServerInfo(ctx)
	if err != nil || info.GetVersion() != "traced" {
		t.Fatalf("ServerInfo: %v %v", info, err)
	}
	md := fake.last(t, "GetServerInfo")
	expectHeader(t, md, "traceparent", "00-"+testTraceID+"-"+testSpanID+"-01")
	expectHeader(t, md, "tracestate")
}

func TestUnsampledFlagsAndTraceState(t *testing.T) {
	c, fake := startTraceServer(t)
	ctx := trace.ContextWithSpanContext(context.Background(), spanContext(t, 0, "graft=t61rcWkgMzE"))
	if _, err := c.ServerInfo(ctx); err != nil {
		t.Fatal(err)
	}
	md := fake.last(t, "GetServerInfo")
	expectHeader(t, md, "traceparent", "00-"+testTraceID+"-"+testSpanID+"-00")
	expectHeader(t, md, "tracestate", "graft=t61rcWkgMzE")
}

func TestNoSpanContextNoHeader(t *testing.T) {
	c, fake := startTraceServer(t)
	if _, err := c.ServerInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	md := fake.last(t, "GetServerInfo")
	expectHeader(t, md, "traceparent")
	expectHeader(t, md, "tracestate")
	for ev, err := range c.Watch(context.Background(), "job-1") {
		if err != nil || ev.GetJob().GetId() != "job-1" {
			t.Fatalf("Watch: %v %v", ev, err)
		}
	}
	expectHeader(t, fake.last(t, "WatchJob"), "traceparent")
}

func TestStreamsCarryTraceparentToo(t *testing.T) {
	c, fake := startTraceServer(t, WithInsecureBearerToken("tok"))
	ctx := trace.ContextWithSpanContext(context.Background(), spanContext(t, trace.FlagsSampled, ""))
	want := "00-" + testTraceID + "-" + testSpanID + "-01"
	job, err := c.Wait(ctx, "job-1")
	if err != nil || job.GetState() != JobSucceeded {
		t.Fatalf("Wait: %v %v", job, err)
	}
	expectHeader(t, fake.last(t, "WatchJob"), "traceparent", want)
	ds, err := c.UploadExamples(ctx, &DatasetSpec{Name: "d", Domain: "nlp"}, nil)
	if err != nil || ds.GetName() != "d" {
		t.Fatalf("UploadExamples: %v %v", ds, err)
	}
	md := fake.last(t, "UploadDataset")
	expectHeader(t, md, "traceparent", want)
	expectHeader(t, md, "authorization", "Bearer tok")
}

func TestTraceparentSetByHandIsReplacedNotDoubled(t *testing.T) {
	c, fake := startTraceServer(t)
	ctx := trace.ContextWithSpanContext(context.Background(), spanContext(t, trace.FlagsSampled, ""))
	ctx = metadata.AppendToOutgoingContext(ctx, "traceparent", "00-11111111111111111111111111111111-2222222222222222-01",
		"x-mine", "kept")
	mine, _ := metadata.FromOutgoingContext(ctx)
	if _, err := graftv1.NewServerServiceClient(c.Conn()).GetServerInfo(ctx, &graftv1.GetServerInfoRequest{}); err != nil {
		t.Fatal(err)
	}
	md := fake.last(t, "GetServerInfo")
	expectHeader(t, md, "traceparent", "00-"+testTraceID+"-"+testSpanID+"-01")
	expectHeader(t, md, "x-mine", "kept")
	expectHeader(t, mine, "traceparent", "00-11111111111111111111111111111111-2222222222222222-01") // the caller's ctx is untouched
}

func TestWithTextMapPropagator(t *testing.T) {
	ctx := trace.ContextWithSpanContext(context.Background(), spanContext(t, trace.FlagsSampled, ""))
	member, err := baggage.NewMember("tenant", "acme")
	if err != nil {
		t.Fatal(err)
	}
	bag, err := baggage.New(member)
	if err != nil {
		t.Fatal(err)
	}
	ctx = baggage.ContextWithBaggage(ctx, bag)

	c, fake := startTraceServer(t, WithTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{})))
	if _, err := c.ServerInfo(ctx); err != nil {
		t.Fatal(err)
	}
	md := fake.last(t, "GetServerInfo")
	expectHeader(t, md, "traceparent", "00-"+testTraceID+"-"+testSpanID+"-01")
	expectHeader(t, md, "baggage", "tenant=acme")

	off, fake := startTraceServer(t, WithTextMapPropagator(nil))
	if _, err := off.ServerInfo(ctx); err != nil {
		t.Fatal(err)
	}
	expectHeader(t, fake.last(t, "GetServerInfo"), "traceparent")
	expectHeader(t, fake.last(t, "GetServerInfo"), "baggage")
}

func TestInjectWithoutSpanAllocatesNothing(t *testing.T) {
	tracing := newTraceInjector(propagation.TraceContext{})
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x", "y")
	if allocs := testing.AllocsPerRun(100, func() { _ = tracing.inject(ctx) }); allocs != 0 {
		t.Errorf("inject without a span: %v allocations", allocs)
	}
	if tracing.inject(ctx) != ctx {
		t.Error("inject without a span changed the context")
	}
}
