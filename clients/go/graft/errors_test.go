package graft

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func statusWithDetails(t *testing.T) *status.Status {
	t.Helper()
	st, err := status.New(codes.InvalidArgument, "inputs must not be empty").WithDetails(
		&errdetails.ErrorInfo{Reason: "EMPTY_INPUTS", Domain: "graft.dev", Metadata: map[string]string{"field": "inputs"}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "inputs", Description: "at least one input is required"},
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestWrapDecodesErrorInfoAndBadRequest(t *testing.T) {
	err := fmt.Errorf("calling: %w", wrap(statusWithDetails(t).Err()))

	var ge *Error
	if !errors.As(err, &ge) {
		t.Fatalf("errors.As found no *Error in %v", err)
	}
	if ge.Code != codes.InvalidArgument || ge.Reason != "EMPTY_INPUTS" || ge.Domain != ErrorDomain {
		t.Errorf("got code %v reason %q domain %q", ge.Code, ge.Reason, ge.Domain)
	}
	if ge.Metadata["field"] != "inputs" {
		t.Errorf("metadata = %v", ge.Metadata)
	}
	want := []FieldViolation{{Field: "inputs", Description: "at least one input is required"}}
	if len(ge.FieldViolations) != 1 || ge.FieldViolations[0] != want[0] {
		t.Errorf("field violations = %v, want %v", ge.FieldViolations, want)
	}
	if got := status.Code(ge); got != codes.InvalidArgument {
		t.Errorf("status.Code sees %v through *Error", got)
	}
	msg := ge.Error()
	for _, part := range []string{"INVALID_ARGUMENT", "EMPTY_INPUTS", "inputs must not be empty", "inputs: at least one"} {
		if !strings.Contains(msg, part) {
			t.Errorf("Error() = %q lacks %q", msg, part)
		}
	}
}

func TestWrapWithoutDetails(t *testing.T) {
	err := wrap(status.Error(codes.NotFound, "no model x"))
	var ge *Error
	if !errors.As(err, &ge) || ge.Code != codes.NotFound || ge.Reason != "" || ge.FieldViolations != nil {
		t.Fatalf("got %#v", err)
	}
	if wrap(nil) != nil {
		t.Error("wrap(nil) must be nil")
	}
}

func TestWrapContextErrors(t *testing.T) {
	err := wrap(context.DeadlineExceeded)
	var ge *Error
	if !errors.As(err, &ge) || ge.Code != codes.DeadlineExceeded {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Error("errors.Is must match the context error of the code")
	}
	if !errors.Is(wrap(status.Error(codes.Canceled, "x")), context.Canceled) {
		t.Error("CANCELLED must match context.Canceled")
	}
}

func TestJobError(t *testing.T) {
	st := statusWithDetails(t)
	failed := &graftv1.Job{State: JobFailed, Error: st.Proto()}
	var ge *Error
	if err := JobError(failed); !errors.As(err, &ge) || ge.Reason != "EMPTY_INPUTS" {
		t.Fatalf("JobError = %v", err)
	}
	if err := JobError(&graftv1.Job{State: JobSucceeded}); err != nil {
		t.Errorf("a succeeded job has no error, got %v", err)
	}
	if err := JobError(&graftv1.Job{State: JobFailed}); err == nil {
		t.Error("a failed job without a status still has an error")
	}
}
