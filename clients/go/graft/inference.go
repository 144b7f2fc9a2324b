package graft

import (
	"context"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
)

// Predict runs a trained model ("name" or "name@version") on inputs. topK limits the classes
// returned per input (0 = all); classes come sorted by score, highest first.
func (c *Client) Predict(ctx context.Context, model string, inputs []*Input, topK int) (*PredictResponse, error) {
	res, err := c.inference.Predict(ctx, &graftv1.PredictRequest{Model: model, Inputs: inputs, TopK: int32(topK)})
	return res, wrap(err)
}

// ExtractOption tunes an Extract call.
type ExtractOption func(*graftv1.ExtractRequest)

// Layer picks the layer to read features from ("" = the model's default feature layer).
func Layer(name string) ExtractOption {
	return func(r *graftv1.ExtractRequest) { r.Layer = name }
}

// WithPooling picks how token or patch features are pooled into one vector.
func WithPooling(p Pooling) ExtractOption {
	return func(r *graftv1.ExtractRequest) { r.Pooling = p }
}

// Normalize scales each vector to unit L2 norm.
func Normalize() ExtractOption {
	return func(r *graftv1.ExtractRequest) { r.Normalize = true }
}

// Extract returns one feature vector per input from a base or trained model.
func (c *Client) Extract(ctx context.Context, model string, inputs []*Input, opts ...ExtractOption) ([][]float32, error) {
	req := &graftv1.ExtractRequest{Model: model, Inputs: inputs}
	for _, o := range opts {
		o(req)
	}
	res, err := c.inference.Extract(ctx, req)
	if err != nil {
		return nil, wrap(err)
	}
	out := make([][]float32, len(res.GetFeatures()))
	for i, f := range res.GetFeatures() {
		out[i] = f.GetValues()
	}
	return out, nil
}
