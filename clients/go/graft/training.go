package graft

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Train starts a training job and returns it at once (QUEUED). It is never retried: a repeat
// could start a second job.
// EstimateTransfer ranks base models for labelled data by how well their frozen features fit it
// (LogME, plus a linear probe), best first, without training anything:
//
//	r, err := c.EstimateTransfer(ctx, &graft.EstimateTransferRequest{Data: graft.FromDataset("reviews")})
//	for _, e := range r.Estimates { fmt.Println(e.BaseModel, e.Logme, e.GetProbeScore()) }
//
// BaseModels empty means every base model of the data's domain. The server computes features (or
// reads its feature cache): give ctx minutes, not the default timeout's seconds.
func (c *Client) EstimateTransfer(ctx context.Context, req *EstimateTransferRequest) (*EstimateTransferResponse, error) {
	r, err := c.training.EstimateTransfer(ctx, req)
	return r, wrap(err)
}

func (c *Client) Train(ctx context.Context, req *TrainRequest) (*Job, error) {
	job, err := c.training.Train(ctx, req)
	if err != nil {
		return nil, wrap(err)
	}
	c.jobs.remember(job)
	return job, nil
}

// GetJob returns a job by id.
func (c *Client) GetJob(ctx context.Context, id string) (*Job, error) {
	job, err := c.training.GetJob(c.jobContext(ctx, id), &graftv1.GetJobRequest{Id: id})
	if err != nil {
		return nil, wrap(err)
	}
	c.jobs.remember(job)
	return job, nil
}

// ListJobs returns every job matching filter ("state=RUNNING", "output_model=NAME",
// "base_model=NAME"; "" = all), following the pages.
func (c *Client) ListJobs(ctx context.Context, filter string) ([]*Job, error) {
	var all []*Job
	token := ""
	for {
		res, err := c.training.ListJobs(ctx, &graftv1.ListJobsRequest{PageSize: pageSize, PageToken: token, Filter: filter})
		if err != nil {
			return nil, wrap(err)
		}
		all = append(all, res.GetJobs()...)
		if token = res.GetNextPageToken(); token == "" {
			return all, nil
		}
	}
}

// Cancel asks a queued or running job to stop and returns the job as it is after the request
// (watch it to see it reach CANCELLED).
func (c *Client) Cancel(ctx context.Context, id string) (*Job, error) {
	job, err := c.training.CancelJob(c.jobContext(ctx, id), &graftv1.CancelJobRequest{Id: id})
	return job, wrap(err)
}

// Watch streams a job's events: its current state first, then every change. The sequence ends
// after the event with a terminal state (SUCCEEDED, FAILED, CANCELLED), or with one error:
//
//	for ev, err := range c.Watch(ctx, job.Id) {
//		if err != nil { return err }
//		fmt.Println(ev.Job.State, ev.Message)
//	}
//
// Breaking out of the loop, or ending ctx, stops the stream. If the connection drops
// (UNAVAILABLE) Watch opens the stream again, up to the retry policy's attempts; the server
// sends the current state first, so no change is missed, though one may repeat. Each event's
// Job has no history; its Metrics are the per-epoch metrics new since the previous event (each
// handed out once, even across reopened streams). The default
// timeout does not apply: a job may run for hours, so bound the wait with ctx.
func (c *Client) Watch(ctx context.Context, id string) iter.Seq2[*JobEvent, error] {
	return func(yield func(*JobEvent, error) bool) {
		ctx, cancel := context.WithCancel(c.jobContext(ctx, id))
		defer cancel()
		failures := 0
		backoff := c.retry.InitialBackoff
		// Each stream sends the history in pieces from its beginning (JobEvent.Metrics): after a
		// reopen, the entries already handed out are skipped.
		handedOut := 0
		for {
			inStream := 0
			err := c.watchOnce(ctx, id, func(ev *JobEvent) bool {
				failures, backoff = 0, c.retry.InitialBackoff
				skip := min(max(0, handedOut-inStream), len(ev.Metrics))
				inStream += len(ev.Metrics)
				ev.Metrics = ev.Metrics[skip:]
				handedOut += len(ev.Metrics)
				return yield(ev, nil)
			})
			if err == nil {
				return // terminal state seen, or the caller stopped
			}
			failures++
			if !resumable(err) || failures >= c.retry.MaxAttempts || ctx.Err() != nil {
				yield(nil, wrap(err))
				return
			}
			if !sleep(ctx, backoff) {
				yield(nil, wrap(ctx.Err()))
				return
			}
			backoff = min(time.Duration(float64(backoff)*c.retry.BackoffMultiplier), c.retry.MaxBackoff)
		}
	}
}

// errEndedEarly is a watch stream that closed before the job's terminal state.
var errEndedEarly = status.Error(codes.Unavailable, "the job's event stream ended before the job did")

// watchOnce reads one WatchJob stream. nil: a terminal event was delivered or emit said stop.
func (c *Client) watchOnce(ctx context.Context, id string, emit func(*JobEvent) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.training.WatchJob(ctx, &graftv1.WatchJobRequest{Id: id})
	if err != nil {
		return err
	}
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return errEndedEarly
		}
		if err != nil {
			return err
		}
		c.jobs.remember(ev.GetJob())
		if !emit(ev) || IsTerminal(ev.GetJob().GetState()) {
			return nil
		}
	}
}

func resumable(err error) bool {
	return status.Code(err) == codes.Unavailable
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Wait watches a job until it ends and returns it in its terminal state, with its whole History.
// err is about the
// watching (ctx ended, server unreachable); a job that ended FAILED or CANCELLED is returned
// with a nil error: check job.State, and JobError(job) for why it failed.
func (c *Client) Wait(ctx context.Context, id string) (*Job, error) {
	var last *Job
	var history []*Metric
	for ev, err := range c.Watch(ctx, id) {
		if err != nil {
			return last, err
		}
		last = ev.GetJob()
		history = append(history, ev.GetMetrics()...)
	}
	if last != nil {
		last.History = history
	}
	return last, nil
}

// jobContext carries the x-graft-model header of a job this client has seen.
func (c *Client) jobContext(ctx context.Context, id string) context.Context {
	return withModel(ctx, c.jobs.model(id))
}
