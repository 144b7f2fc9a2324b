package graft

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// traceInjector writes the caller's trace context (the span in the call's ctx) into the call's
// outgoing metadata, so that a trace begun in the application continues on the server. By
// default it uses W3C Trace Context (propagation.TraceContext: "traceparent", and "tracestate"
// when not empty), which needs no OpenTelemetry SDK nor a global propagator and writes nothing
// when ctx holds no valid span context; WithTextMapPropagator picks another propagator.
type traceInjector struct {
	propagator propagation.TextMapPropagator
	w3cOnly    bool // propagator is TraceContext: nothing to do without a valid span context
}

func newTraceInjector(p propagation.TextMapPropagator) *traceInjector {
	_, w3c := p.(propagation.TraceContext)
	return &traceInjector{propagator: p, w3cOnly: w3c}
}

// inject returns ctx with the propagator's fields in its outgoing metadata, replacing any value
// already there for the same key; ctx itself when there is nothing to write.
func (t *traceInjector) inject(ctx context.Context) context.Context {
	if t.w3cOnly && !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx // the common untraced call: no allocation
	}
	fields := propagation.MapCarrier{}
	t.propagator.Inject(ctx, fields)
	if len(fields) == 0 {
		return ctx
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy() // the context's metadata must not be changed in place
	for k, v := range fields {
		md.Set(k, v) // lower-cases the key; replaces earlier values
	}
	return metadata.NewOutgoingContext(ctx, md)
}

func (t *traceInjector) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(t.inject(ctx), method, req, reply, cc, opts...)
}

func (t *traceInjector) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return streamer(t.inject(ctx), desc, cc, method, opts...)
}
