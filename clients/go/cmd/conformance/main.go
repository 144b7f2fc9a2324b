// Command conformance runs the client conformance scenario (clients/conformance/SCENARIO.md)
// against the server at $GRAFT_TARGET with the Go client (over TLS with the CA file
// $GRAFT_TLS_CA, the client certificate $GRAFT_TLS_CERT/$GRAFT_TLS_KEY and the bearer token
// $GRAFT_TOKEN when they are set), printing "ok <step>" or
// "FAIL <step>: why" per step and "N passed, M failed" at the end; it exits 1 if a step failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/graft-dev/graft/clients/go/graft"
	"google.golang.org/grpc/codes"
)

const (
	lang  = "go"
	name  = "conformance-" + lang
	base  = "minilm-l6"
	happy = "what a wonderful, lovely day"
	sad   = "this is terrible and awful"
)

func main() {
	target := flag.String("target", envOr("GRAFT_TARGET", "localhost:50051"), "server host:port")
	dataset := flag.String("dataset", "../conformance/dataset.jsonl", "the scenario's JSONL dataset")
	flag.Parse()

	ctx := context.Background()
	opts, err := securityOptions()
	if err != nil {
		fmt.Printf("FAIL setup: %v\n0 passed, 1 failed\n", err)
		os.Exit(1)
	}
	c, err := graft.Dial(ctx, *target, opts...)
	if err != nil {
		fmt.Printf("FAIL dial: %v\n0 passed, 1 failed\n", err)
		os.Exit(1)
	}
	defer c.Close()

	s := &scenario{c: c, datasetPath: *dataset}
	r := &runner{}
	r.step("upload", s.upload)
	r.step("train", s.train)
	r.step("watch", s.watch)
	r.step("predict", s.predict)
	r.step("extract", s.extract)
	r.step("not-found", s.notFound)
	r.step("invalid-argument", s.invalidArgument)
	r.step("cancel", s.cancel)
	fmt.Printf("%d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 {
		os.Exit(1)
	}
}

type runner struct{ passed, failed int }

func (r *runner) step(name string, f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	if err := f(ctx); err != nil {
		r.failed++
		fmt.Printf("FAIL %s: %v\n", name, err)
		return
	}
	r.passed++
	fmt.Printf("ok %s\n", name)
	fmt.Fprintf(os.Stderr, "  %s took %.2fs\n", name, time.Since(start).Seconds())
}

type scenario struct {
	c           *graft.Client
	datasetPath string
	dataset     *graft.Dataset
	job         *graft.Job
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *scenario) upload(ctx context.Context) error {
	ds, err := s.c.UploadDatasetFile(ctx, &graft.DatasetSpec{Name: name, Domain: "nlp", Format: graft.DatasetFormatJSONL}, s.datasetPath)
	if err != nil {
		return err
	}
	s.dataset = ds
	if ds.GetExamples() != 16 {
		return fmt.Errorf("examples = %d, want 16", ds.GetExamples())
	}
	if !slices.Equal(ds.GetLabels(), []string{"negative", "positive"}) {
		return fmt.Errorf("labels = %v, want [negative positive]", ds.GetLabels())
	}
	lc := ds.GetLabelCounts()
	if len(lc) != 2 || lc["negative"] != 8 || lc["positive"] != 8 {
		return fmt.Errorf("label_counts = %v, want negative:8 positive:8", lc)
	}
	if !hex64.MatchString(strings.ToLower(ds.GetSha256())) {
		return fmt.Errorf("sha256 = %q, want 64 hex characters", ds.GetSha256())
	}
	return nil
}

func (s *scenario) trainRequest(output string, hp *graft.Hyperparameters) *graft.TrainRequest {
	return &graft.TrainRequest{
		BaseModel:       base,
		Strategy:        "feature-extraction",
		OutputModel:     output,
		Train:           graft.FromDataset(s.dataset.GetId()),
		ValidationSplit: 0.25,
		Hyperparameters: hp,
	}
}

func (s *scenario) train(ctx context.Context) error {
	if s.dataset == nil {
		return errors.New("needs the upload step")
	}
	job, err := s.c.Train(ctx, s.trainRequest(name, &graft.Hyperparameters{Epochs: 30, Seed: 7}))
	if err != nil {
		return err
	}
	if job.GetId() == "" {
		return errors.New("the job has no id")
	}
	if st := job.GetState(); st != graft.JobQueued && st != graft.JobRunning {
		return fmt.Errorf("state = %s, want QUEUED or RUNNING", st)
	}
	s.job = job
	return nil
}

func (s *scenario) watch(ctx context.Context) error {
	if s.job == nil {
		return errors.New("needs the train step")
	}
	var first, last *graft.Job
	stepped := false
	for ev, err := range s.c.Watch(ctx, s.job.GetId()) {
		if err != nil {
			return err
		}
		if first == nil {
			first = ev.GetJob()
		}
		last = ev.GetJob()
		stepped = stepped || last.GetProgress().GetStep() > 0
	}
	switch {
	case first == nil:
		return errors.New("no event")
	case first.GetId() != s.job.GetId():
		return fmt.Errorf("first event is for job %q, want %q", first.GetId(), s.job.GetId())
	case !stepped:
		return errors.New("no event with progress.step > 0")
	case last.GetState() != graft.JobSucceeded:
		return fmt.Errorf("last state = %s, want SUCCEEDED (%v)", last.GetState(), graft.JobError(last))
	}
	for _, m := range last.GetMetrics() {
		if m.GetName() == "accuracy" && m.GetSplit() == "validation" {
			return nil
		}
	}
	return fmt.Errorf("no validation accuracy in metrics %v", last.GetMetrics())
}

func (s *scenario) predict(ctx context.Context) error {
	res, err := s.c.Predict(ctx, name, graft.Texts(happy, sad), 2)
	if err != nil {
		return err
	}
	preds := res.GetPredictions()
	if len(preds) != 2 {
		return fmt.Errorf("%d predictions, want 2", len(preds))
	}
	for i, p := range preds {
		cs := p.GetClasses()
		if len(cs) != 2 {
			return fmt.Errorf("prediction %d has %d classes, want 2", i, len(cs))
		}
		if cs[0].GetScore() < cs[1].GetScore() {
			return fmt.Errorf("prediction %d is not sorted by score: %v", i, cs)
		}
		if sum := float64(cs[0].GetScore()) + float64(cs[1].GetScore()); math.Abs(sum-1) > 1e-4 {
			return fmt.Errorf("prediction %d scores sum to %v", i, sum)
		}
	}
	if got := preds[0].GetClasses()[0].GetLabel(); got != "positive" {
		return fmt.Errorf("first top label = %q, want positive", got)
	}
	if got := preds[1].GetClasses()[0].GetLabel(); got != "negative" {
		return fmt.Errorf("second top label = %q, want negative", got)
	}
	m, v, ok := strings.Cut(res.GetModel(), "@")
	if n, err := strconv.Atoi(v); !ok || m != name || err != nil || n < 1 {
		return fmt.Errorf("model = %q, want %s@1 or later", res.GetModel(), name)
	}
	return nil
}

func (s *scenario) extract(ctx context.Context) error {
	vecs, err := s.c.Extract(ctx, base, graft.Texts(happy, sad), graft.Normalize())
	if err != nil {
		return err
	}
	if len(vecs) != 2 {
		return fmt.Errorf("%d vectors, want 2", len(vecs))
	}
	for i, v := range vecs {
		if len(v) != 384 {
			return fmt.Errorf("vector %d has length %d, want 384", i, len(v))
		}
		var sq float64
		for _, x := range v {
			sq += float64(x) * float64(x)
		}
		if n := math.Sqrt(sq); math.Abs(n-1) > 1e-3 {
			return fmt.Errorf("vector %d has L2 norm %v", i, n)
		}
	}
	return nil
}

// expectError checks that err is a *graft.Error with code and reason.
func expectError(err error, code codes.Code, reason string) error {
	if err == nil {
		return fmt.Errorf("the call succeeded; want %s %s", code, reason)
	}
	var ge *graft.Error
	if !errors.As(err, &ge) {
		return fmt.Errorf("not a *graft.Error: %T %v", err, err)
	}
	if ge.Code != code || ge.Reason != reason {
		return fmt.Errorf("got %s/%q, want %s/%q (%v)", ge.Code, ge.Reason, code, reason, err)
	}
	return nil
}

func (s *scenario) notFound(ctx context.Context) error {
	_, err := s.c.GetModel(ctx, "no-such-model-"+lang)
	return expectError(err, codes.NotFound, "MODEL_NOT_FOUND")
}

func (s *scenario) invalidArgument(ctx context.Context) error {
	_, err := s.c.Extract(ctx, base, nil)
	return expectError(err, codes.InvalidArgument, "EMPTY_INPUTS")
}

func (s *scenario) cancel(ctx context.Context) error {
	if s.dataset == nil {
		return errors.New("needs the upload step")
	}
	job, err := s.c.Train(ctx, s.trainRequest(name+"-cancel",
		&graft.Hyperparameters{Epochs: 100000, EarlyStoppingPatience: 100000, BatchSize: 1}))
	if err != nil {
		return err
	}
	cancelled := false
	defer func() { // never leave a 100000-epoch job running on a shared server
		if !cancelled {
			c, done := context.WithTimeout(context.Background(), 10*time.Second)
			defer done()
			_, _ = s.c.Cancel(c, job.GetId())
		}
	}()
	running := false
	for ev, err := range s.c.Watch(ctx, job.GetId()) {
		if err != nil {
			return fmt.Errorf("watching for RUNNING: %w", err)
		}
		j := ev.GetJob()
		if j.GetState() == graft.JobRunning || j.GetProgress().GetStep() > 0 {
			running = true
			break
		}
		if graft.IsTerminal(j.GetState()) {
			return fmt.Errorf("the job ended %s before it ran", j.GetState())
		}
	}
	if !running {
		return errors.New("the job never showed RUNNING")
	}
	if _, err := s.c.Cancel(ctx, job.GetId()); err != nil {
		return err
	}
	cancelled = true
	start := time.Now()
	wctx, done := context.WithTimeout(ctx, 10*time.Second)
	defer done()
	end, err := s.c.Wait(wctx, job.GetId())
	if err != nil {
		return fmt.Errorf("not ended within 10 s of the cancel (last %s): %w", end.GetState(), err)
	}
	if end.GetState() != graft.JobCancelled {
		return fmt.Errorf("ended %s, want CANCELLED", end.GetState())
	}
	if d := time.Since(start); d > 10*time.Second {
		return fmt.Errorf("took %v to end after the cancel", d)
	}
	return nil
}

// securityOptions: TLS trusting the CA file $GRAFT_TLS_CA, the client certificate
// $GRAFT_TLS_CERT with its key $GRAFT_TLS_KEY (mutual TLS), the bearer token $GRAFT_TOKEN; each
// only when set.
func securityOptions() ([]graft.Option, error) {
	var opts []graft.Option
	read := func(key string) ([]byte, error) {
		b, err := os.ReadFile(os.Getenv(key))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		return b, nil
	}
	if os.Getenv("GRAFT_TLS_CA") != "" {
		ca, err := read("GRAFT_TLS_CA")
		if err != nil {
			return nil, err
		}
		opts = append(opts, graft.WithRootCAs(ca))
	}
	if os.Getenv("GRAFT_TLS_CERT") != "" || os.Getenv("GRAFT_TLS_KEY") != "" {
		cert, err := read("GRAFT_TLS_CERT")
		if err != nil {
			return nil, err
		}
		key, err := read("GRAFT_TLS_KEY")
		if err != nil {
			return nil, err
		}
		opts = append(opts, graft.WithClientCertificate(cert, key))
	}
	if token := os.Getenv("GRAFT_TOKEN"); token != "" {
		if len(opts) > 0 {
			opts = append(opts, graft.WithBearerToken(token))
		} else { // a plaintext test server (the scenario never runs against a remote one)
			opts = append(opts, graft.WithInsecureBearerToken(token))
		}
	}
	return opts, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
