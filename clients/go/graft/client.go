package graft

import (
	"context"
	"fmt"
	"sync"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Version is this client's version, sent in the user agent.
const Version = "0.1.0"

// Client is a connection to one Graft server (or a load-balanced set of them). It is safe for
// concurrent use by many goroutines; make one per target and share it. Close releases it.
type Client struct {
	conn      *grpc.ClientConn
	training  graftv1.TrainingServiceClient
	inference graftv1.InferenceServiceClient
	models    graftv1.ModelServiceClient
	datasets  graftv1.DatasetServiceClient
	server    graftv1.ServerServiceClient
	retry     RetryPolicy
	jobs      *jobModels
}

// Dial makes a client for target ("localhost:50051", "dns:///graft.example.com:443"). By
// default the connection is plaintext, unary calls get a 60 s deadline, idempotent calls are
// retried on UNAVAILABLE, and every call carries the W3C trace context of its ctx
// (WithTextMapPropagator). Dial returns at once unless WithBlock is given, in which case it
// waits for the connection until ctx ends.
func Dial(ctx context.Context, target string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tlsConfig, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	creds := insecure.NewCredentials()
	if tlsConfig != nil {
		creds = credentials.NewTLS(tlsConfig)
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithUserAgent("graft-go/" + Version),
	}
	unary := []grpc.UnaryClientInterceptor{modelHeaderInterceptor, deadlineInterceptor(o.timeout)}
	if o.propagator != nil {
		tracing := newTraceInjector(o.propagator)
		unary = append([]grpc.UnaryClientInterceptor{tracing.unary}, unary...)
		dopts = append(dopts, grpc.WithChainStreamInterceptor(tracing.stream))
	}
	dopts = append(dopts, grpc.WithChainUnaryInterceptor(unary...))
	if o.token != "" {
		dopts = append(dopts, grpc.WithPerRPCCredentials(bearerToken{token: o.token, requireTLS: !o.tokenInsecure}))
	}
	if sc := o.retry.serviceConfig(); sc != "" {
		dopts = append(dopts, grpc.WithDefaultServiceConfig(sc))
	} else {
		dopts = append(dopts, grpc.WithDisableRetry())
	}
	dopts = append(dopts, o.dialOptions...)
	conn, err := grpc.NewClient(target, dopts...)
	if err != nil {
		return nil, fmt.Errorf("graft: dial %s: %w", target, err)
	}
	if o.block {
		if err := waitReady(ctx, conn); err != nil {
			conn.Close()
			return nil, fmt.Errorf("graft: dial %s: %w", target, err)
		}
	}
	return &Client{
		conn:      conn,
		training:  graftv1.NewTrainingServiceClient(conn),
		inference: graftv1.NewInferenceServiceClient(conn),
		models:    graftv1.NewModelServiceClient(conn),
		datasets:  graftv1.NewDatasetServiceClient(conn),
		server:    graftv1.NewServerServiceClient(conn),
		retry:     o.retry,
		jobs:      newJobModels(4096),
	}, nil
}

func waitReady(ctx context.Context, conn *grpc.ClientConn) error {
	conn.Connect()
	for {
		s := conn.GetState()
		if s == connectivity.Ready {
			return nil
		}
		if !conn.WaitForStateChange(ctx, s) {
			return fmt.Errorf("not ready (%s): %w", s, ctx.Err())
		}
	}
}

// Conn is the underlying connection, for the RPCs this wrapper does not cover (ImportModel,
// StreamPredict...): graftv1.NewModelServiceClient(c.Conn()). Calls made through it get the
// same interceptors, credentials and retry policy. The Client owns it: do not close it.
func (c *Client) Conn() *grpc.ClientConn {
	return c.conn
}

// Close releases the connection; calls in flight fail with CANCELLED.
func (c *Client) Close() error {
	return c.conn.Close()
}

// jobModels remembers each job's output model (job id → model), so that calls about a job by id
// carry the x-graft-model header too. Bounded: the oldest entries go first.
type jobModels struct {
	mu    sync.Mutex
	max   int
	byID  map[string]string
	order []string
}

func newJobModels(max int) *jobModels {
	return &jobModels{max: max, byID: make(map[string]string)}
}

func (j *jobModels) remember(job *Job) {
	if job.GetId() == "" || job.GetOutputModel() == "" {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.byID[job.GetId()]; ok {
		return
	}
	if len(j.order) >= j.max {
		delete(j.byID, j.order[0])
		j.order = j.order[1:]
	}
	j.byID[job.GetId()] = job.GetOutputModel()
	j.order = append(j.order, job.GetId())
}

func (j *jobModels) model(id string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.byID[id]
}
