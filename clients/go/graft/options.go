package graft

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
)

// DefaultTimeout is the deadline a unary call gets when its context has none.
const DefaultTimeout = 60 * time.Second

// Option configures Dial.
type Option func(*options)

type options struct {
	tls           *tls.Config // nil = plaintext (unless rootCAs or a client certificate is set)
	rootCAs       []byte      // PEM; replaces the roots of tls
	clientCert    []byte      // PEM certificate chain, with clientKey
	clientKey     []byte      // PEM private key
	token         string
	tokenInsecure bool // send the token over plaintext too
	timeout       time.Duration
	retry         RetryPolicy
	block         bool
	dialOptions   []grpc.DialOption
	propagator    propagation.TextMapPropagator // nil: no trace context
}

func defaultOptions() options {
	return options{timeout: DefaultTimeout, retry: DefaultRetryPolicy(), propagator: propagation.TraceContext{}}
}

// WithTLS connects over TLS. A nil config trusts the system's roots and checks the target's
// host name. Without this option the connection is plaintext.
func WithTLS(config *tls.Config) Option {
	return func(o *options) {
		if config == nil {
			config = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		o.tls = config
	}
}

// WithRootCAs connects over TLS trusting only the CA certificates in pemCerts (one or more PEM
// blocks) to sign the server's certificate, instead of the system's roots. It may be combined
// with WithTLS (whose config it copies, replacing RootCAs) and WithClientCertificate. Dial fails
// when pemCerts holds no certificate.
func WithRootCAs(pemCerts []byte) Option {
	return func(o *options) { o.rootCAs = pemCerts }
}

// WithClientCertificate presents a client certificate for mutual TLS: certPEM is the
// certificate chain (leaf first), keyPEM its private key (PKCS#8, PKCS#1 or SEC 1 PEM). It turns
// TLS on (system roots unless WithRootCAs or WithTLS say otherwise). Dial fails when the two do
// not parse or do not match.
func WithClientCertificate(certPEM, keyPEM []byte) Option {
	return func(o *options) { o.clientCert, o.clientKey = certPEM, keyPEM }
}

// WithBearerToken sends "authorization: Bearer <token>" on every call. It needs TLS (WithTLS,
// WithRootCAs or WithClientCertificate), so
// that the token never travels in clear; see WithInsecureBearerToken for a plaintext hop to a
// local TLS-terminating proxy.
func WithBearerToken(token string) Option {
	return func(o *options) { o.token, o.tokenInsecure = token, false }
}

// WithInsecureBearerToken is WithBearerToken that also works on a plaintext connection. Use it
// only where the plaintext hop is private (a sidecar on localhost, a test).
func WithInsecureBearerToken(token string) Option {
	return func(o *options) { o.token, o.tokenInsecure = token, true }
}

// WithDefaultTimeout is the deadline of every unary call whose context has none (default 60 s;
// 0 = none). Streams (Watch, Wait, uploads) are bounded by their context only.
func WithDefaultTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithRetry sets how idempotent calls are retried on UNAVAILABLE (default
// DefaultRetryPolicy(); RetryPolicy{MaxAttempts: 1} turns retries off).
func WithRetry(p RetryPolicy) Option {
	return func(o *options) { o.retry = p }
}

// WithBlock makes Dial wait until the connection is ready, or fail when its context ends.
// Without it Dial returns at once and connects in the background.
func WithBlock() Option {
	return func(o *options) { o.block = true }
}

// WithTextMapPropagator sets how each call's context is written into its metadata. By default
// every call, unary or stream, carries W3C Trace Context (propagation.TraceContext{}: the
// "traceparent" of the span in the call's ctx, and "tracestate" when not empty; nothing when ctx
// has no valid span context) with no SDK and no global propagator needed. Pass
// otel.GetTextMapPropagator() to use the globally registered one (e.g. to send baggage too), or
// nil to send nothing.
func WithTextMapPropagator(p propagation.TextMapPropagator) Option {
	return func(o *options) { o.propagator = p }
}

// WithDialOptions adds gRPC dial options (a custom dialer, keepalive, a stats handler...).
// They are applied after the ones this package sets.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

func (o *options) usesTLS() bool {
	return o.tls != nil || o.rootCAs != nil || o.clientCert != nil || o.clientKey != nil
}

// tlsConfig is the TLS configuration Dial uses: nil for plaintext; else a copy of WithTLS's
// config (or a TLS 1.2+ default) with the roots of WithRootCAs and the certificate of
// WithClientCertificate.
func (o *options) tlsConfig() (*tls.Config, error) {
	if !o.usesTLS() {
		return nil, nil
	}
	var cfg *tls.Config
	if o.tls != nil {
		cfg = o.tls.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if o.rootCAs != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(o.rootCAs) {
			return nil, errors.New("graft: WithRootCAs: no PEM certificate in the bytes given")
		}
		cfg.RootCAs = pool
	}
	if o.clientCert != nil || o.clientKey != nil {
		if len(o.clientCert) == 0 || len(o.clientKey) == 0 {
			return nil, errors.New("graft: WithClientCertificate needs both the certificate chain and the private key")
		}
		pair, err := tls.X509KeyPair(o.clientCert, o.clientKey)
		if err != nil {
			return nil, fmt.Errorf("graft: WithClientCertificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates[:len(cfg.Certificates):len(cfg.Certificates)], pair)
	}
	return cfg, nil
}

func (o *options) validate() error {
	if o.token != "" && !o.usesTLS() && !o.tokenInsecure {
		return errors.New("graft: WithBearerToken needs TLS: WithTLS, WithRootCAs or WithClientCertificate (or WithInsecureBearerToken for a private plaintext hop)")
	}
	if o.timeout < 0 {
		return errors.New("graft: WithDefaultTimeout must not be negative")
	}
	return o.retry.validate()
}
