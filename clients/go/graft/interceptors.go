package graft

import (
	"context"
	"time"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// ModelHeader is the metadata key naming the model a call is about; load balancers hash on it.
const ModelHeader = "x-graft-model"

// modelOf is the model a request is about: Predict/Extract their model, Train its output
// model, model calls the model's name; "" for the rest.
func modelOf(req any) string {
	switch r := req.(type) {
	case *graftv1.PredictRequest:
		return r.GetModel()
	case *graftv1.ExtractRequest:
		return r.GetModel()
	case *graftv1.TrainRequest:
		return r.GetOutputModel()
	case *graftv1.GetModelRequest:
		return r.GetName()
	case *graftv1.DeleteModelRequest:
		return r.GetName()
	case *graftv1.ExportModelRequest:
		return r.GetName()
	}
	return ""
}

// withModel adds the x-graft-model header to ctx's outgoing metadata unless it already has one
// or model is empty.
func withModel(ctx context.Context, model string) context.Context {
	if model == "" {
		return ctx
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md.Get(ModelHeader)) > 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, ModelHeader, model)
}

// modelHeaderInterceptor sets x-graft-model from the request on every unary call (including
// those made through Conn), unless the caller already set it.
func modelHeaderInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(withModel(ctx, modelOf(req)), method, req, reply, cc, opts...)
}

// deadlineInterceptor gives a unary call the default timeout when its context has no deadline.
func deadlineInterceptor(timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok && timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// bearerToken is the per-RPC credential that sends "authorization: Bearer <token>".
type bearerToken struct {
	token      string
	requireTLS bool
}

func (b bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearerToken) RequireTransportSecurity() bool {
	return b.requireTLS
}
