package graft

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"
)

// chunkSize is how many bytes each upload message carries.
const chunkSize = 1 << 20

// Part is one file of a dataset upload. Name "" is the main file; IDX datasets have two
// parts, "images" and "labels".
type Part struct {
	Name string
	Data io.Reader
}

// UploadDataset uploads a one-file dataset (JSONL, CSV, ZIP, EXAMPLES) read from r, streaming
// it in chunks, and returns the stored dataset. It is not retried (a repeat could store it twice).
func (c *Client) UploadDataset(ctx context.Context, spec *DatasetSpec, r io.Reader) (*Dataset, error) {
	return c.UploadDatasetParts(ctx, spec, Part{Data: r})
}

// UploadDatasetFile uploads a one-file dataset from a file.
func (c *Client) UploadDatasetFile(ctx context.Context, spec *DatasetSpec, path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("graft: %w", err)
	}
	defer f.Close()
	return c.UploadDataset(ctx, spec, f)
}

// UploadExamples uploads in-memory examples as an EXAMPLES dataset (length-delimited Example
// messages). spec.Format may be left unset.
func (c *Client) UploadExamples(ctx context.Context, spec *DatasetSpec, examples []*Example) (*Dataset, error) {
	if f := spec.GetFormat(); f != graftv1.DatasetFormat_DATASET_FORMAT_UNSPECIFIED && f != DatasetFormatExamples {
		return nil, fmt.Errorf("graft: UploadExamples sends the EXAMPLES format, not %s", f)
	}
	s := &DatasetSpec{}
	if spec != nil {
		s = proto.CloneOf(spec)
	}
	s.Format = DatasetFormatExamples
	var buf bytes.Buffer
	for i, e := range examples {
		if _, err := protodelim.MarshalTo(&buf, e); err != nil {
			return nil, fmt.Errorf("graft: examples[%d]: %w", i, err)
		}
	}
	return c.UploadDataset(ctx, s, &buf)
}

// UploadDatasetParts uploads a dataset made of several files (IDX: "images" and "labels").
func (c *Client) UploadDatasetParts(ctx context.Context, spec *DatasetSpec, parts ...Part) (*Dataset, error) {
	if spec == nil {
		return nil, errors.New("graft: UploadDataset needs a DatasetSpec")
	}
	for _, p := range parts {
		if p.Data == nil {
			return nil, fmt.Errorf("graft: part %q has no data", p.Name)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream if we return early
	stream, err := c.datasets.UploadDataset(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	send := func(m *graftv1.UploadDatasetRequest) error {
		if err := stream.Send(m); err != nil {
			if errors.Is(err, io.EOF) { // the server ended the call: its status says why
				_, err = stream.CloseAndRecv()
			}
			return wrap(err)
		}
		return nil
	}
	if err := send(&graftv1.UploadDatasetRequest{Value: &graftv1.UploadDatasetRequest_Spec{Spec: spec}}); err != nil {
		return nil, err
	}
	buf := make([]byte, chunkSize)
	for _, p := range parts {
		for {
			n, rerr := io.ReadFull(p.Data, buf)
			if n > 0 {
				chunk := &graftv1.DataChunk{Data: bytes.Clone(buf[:n]), Part: p.Name}
				if err := send(&graftv1.UploadDatasetRequest{Value: &graftv1.UploadDatasetRequest_Chunk{Chunk: chunk}}); err != nil {
					return nil, err
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				return nil, fmt.Errorf("graft: reading part %q: %w", p.Name, rerr)
			}
		}
	}
	ds, err := stream.CloseAndRecv()
	return ds, wrap(err)
}

// GetDataset returns a dataset by id or name.
func (c *Client) GetDataset(ctx context.Context, idOrName string) (*Dataset, error) {
	ds, err := c.datasets.GetDataset(ctx, &graftv1.GetDatasetRequest{Id: idOrName})
	return ds, wrap(err)
}

// ListDatasets returns every dataset matching filter ("domain=nlp", "name=NAME"; "" = all),
// following the pages.
func (c *Client) ListDatasets(ctx context.Context, filter string) ([]*Dataset, error) {
	var all []*Dataset
	token := ""
	for {
		res, err := c.datasets.ListDatasets(ctx, &graftv1.ListDatasetsRequest{PageSize: pageSize, PageToken: token, Filter: filter})
		if err != nil {
			return nil, wrap(err)
		}
		all = append(all, res.GetDatasets()...)
		if token = res.GetNextPageToken(); token == "" {
			return all, nil
		}
	}
}

// DeleteDataset deletes a dataset by id or name.
func (c *Client) DeleteDataset(ctx context.Context, idOrName string) error {
	_, err := c.datasets.DeleteDataset(ctx, &graftv1.DeleteDatasetRequest{Id: idOrName})
	return wrap(err)
}
