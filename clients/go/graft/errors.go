package graft

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the ErrorInfo domain of the errors Graft's server raises.
const ErrorDomain = "graft.dev"

// Error is a failed call: the gRPC code and message, plus the google.rpc details the server
// attached (ErrorInfo's reason, domain and metadata; BadRequest's field violations).
//
//	var ge *graft.Error
//	if errors.As(err, &ge) && ge.Code == codes.NotFound && ge.Reason == "MODEL_NOT_FOUND" { ... }
//
// It also carries the original status: status.FromError and status.Code work on it.
type Error struct {
	Code            codes.Code
	Message         string
	Reason          string            // ErrorInfo.reason, e.g. "MODEL_NOT_FOUND"; "" if none
	Domain          string            // ErrorInfo.domain, "graft.dev" for the server's own errors
	Metadata        map[string]string // ErrorInfo.metadata
	FieldViolations []FieldViolation  // from BadRequest, for INVALID_ARGUMENT
	status          *status.Status
}

// FieldViolation names a request field that was wrong, as the API names it ("inputs[3]").
type FieldViolation struct {
	Field       string
	Description string
}

// Error formats as "graft: CODE [REASON]: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("graft: ")
	b.WriteString(codeName(e.Code))
	if e.Reason != "" {
		b.WriteString(" ")
		b.WriteString(e.Reason)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, v := range e.FieldViolations {
		fmt.Fprintf(&b, " (%s: %s)", v.Field, v.Description)
	}
	return b.String()
}

// GRPCStatus is the status the error was made from, so that status.FromError and status.Code
// see through it.
func (e *Error) GRPCStatus() *status.Status {
	if e.status == nil {
		return status.New(e.Code, e.Message)
	}
	return e.status
}

// Is makes errors.Is(err, context.Canceled / context.DeadlineExceeded) true for calls that ended
// because of their context.
func (e *Error) Is(target error) bool {
	switch target {
	case context.Canceled:
		return e.Code == codes.Canceled
	case context.DeadlineExceeded:
		return e.Code == codes.DeadlineExceeded
	}
	return false
}

// FromStatus decodes a status and its details; nil for OK.
func FromStatus(st *status.Status) *Error {
	if st == nil || st.Code() == codes.OK {
		return nil
	}
	e := &Error{Code: st.Code(), Message: st.Message(), status: st}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if e.Reason == "" {
				e.Reason, e.Domain, e.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return e
}

// JobError is the error of a FAILED job (its google.rpc.Status) as an *Error; nil otherwise.
func JobError(job *Job) error {
	if job == nil || job.GetState() != JobFailed {
		return nil
	}
	st := job.GetError()
	if st == nil || codes.Code(st.GetCode()) == codes.OK {
		return &Error{Code: codes.Unknown, Message: "job failed without an error status"}
	}
	return FromStatus(status.FromProto(st))
}

// wrap turns an error from a gRPC call into an *Error; nil stays nil. Errors that carry no
// status (rare: a local failure before the call) become UNKNOWN, keeping their text.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var ge *Error
	if errors.As(err, &ge) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Code: codes.Canceled, Message: err.Error()}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: codes.DeadlineExceeded, Message: err.Error()}
	}
	st, ok := status.FromError(err)
	if !ok {
		return &Error{Code: codes.Unknown, Message: err.Error(), status: st}
	}
	return FromStatus(st)
}

// codeNames spells codes as the API and the other SDKs do (codes.Code.String says "NotFound").
var codeNames = [...]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return c.String()
}
