package graft

import (
	"crypto/tls"
	"errors"
	"time"

	"google.golang.org/grpc"
)

// DefaultTimeout is the deadline a unary call gets when its context has none.
const DefaultTimeout = 60 * time.Second

// Option configures Dial.
type Option func(*options)

type options struct {
	tls           *tls.Config // nil = plaintext
	token         string
	tokenInsecure bool // send the token over plaintext too
	timeout       time.Duration
	retry         RetryPolicy
	block         bool
	dialOptions   []grpc.DialOption
}

func defaultOptions() options {
	return options{timeout: DefaultTimeout, retry: DefaultRetryPolicy()}
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

// WithBearerToken sends "authorization: Bearer <token>" on every call. It needs WithTLS, so
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

// WithDialOptions adds gRPC dial options (a custom dialer, keepalive, a stats handler...).
// They are applied after the ones this package sets.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

func (o *options) validate() error {
	if o.token != "" && o.tls == nil && !o.tokenInsecure {
		return errors.New("graft: WithBearerToken needs WithTLS (or WithInsecureBearerToken for a private plaintext hop)")
	}
	if o.timeout < 0 {
		return errors.New("graft: WithDefaultTimeout must not be negative")
	}
	return o.retry.validate()
}
