package graft

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
)

// exportedConstants parses the package's non-test files: each exported constant and whether it
// has a doc or line comment (its own or its group's).
func exportedConstants(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for _, id := range vs.Names {
					if id.IsExported() {
						consts[id.Name] = gen.Doc != nil || vs.Doc != nil || vs.Comment != nil
					}
				}
			}
		}
	}
	return consts
}

func TestEveryExportedConstantIsDocumentedInTheCodeAndTheREADMEAndDocGo(t *testing.T) {
	consts := exportedConstants(t)
	if len(consts) < 20 {
		t.Fatalf("found only %d exported constants: %v", len(consts), consts)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for name, commented := range consts {
		if !commented {
			t.Errorf("constant %s has no doc comment", name)
		}
		word := regexp.MustCompile(`\b` + name + `\b`)
		if !word.Match(readme) {
			t.Errorf("constant %s is not in clients/go/README.md", name)
		}
		if !word.Match(doc) {
			t.Errorf("constant %s is not in the package documentation (doc.go)", name)
		}
	}
}

// The short names are the generated values they say they are.
func TestShortConstantsAreTheirGeneratedValues(t *testing.T) {
	cases := []struct {
		short interface{ String() string }
		want  string
	}{
		{DatasetFormatJSONL, "DATASET_FORMAT_JSONL"}, {DatasetFormatCSV, "DATASET_FORMAT_CSV"},
		{DatasetFormatIDX, "DATASET_FORMAT_IDX"}, {DatasetFormatExamples, "DATASET_FORMAT_EXAMPLES"},
		{DatasetFormatZIP, "DATASET_FORMAT_ZIP"},
		{TaskClassification, "TASK_CLASSIFICATION"}, {TaskRegression, "TASK_REGRESSION"},
		{TaskForecasting, "TASK_FORECASTING"},
		{JobQueued, "JOB_STATE_QUEUED"}, {JobRunning, "JOB_STATE_RUNNING"}, {JobSucceeded, "JOB_STATE_SUCCEEDED"},
		{JobFailed, "JOB_STATE_FAILED"}, {JobCancelled, "JOB_STATE_CANCELLED"},
		{PoolingDefault, "POOLING_DEFAULT"}, {PoolingMean, "POOLING_MEAN"}, {PoolingCLS, "POOLING_CLS"},
		{PoolingMax, "POOLING_MAX"},
	}
	for _, c := range cases {
		if got := c.short.String(); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
	// Every non-zero value of the enums has its short name (a new proto value needs one too).
	enums := map[string]map[int32]string{
		"DatasetFormat": graftv1.DatasetFormat_name, "Task": graftv1.Task_name,
		"JobState": graftv1.JobState_name, "Pooling": graftv1.Pooling_name,
	}
	named := map[string]bool{}
	for _, c := range cases {
		named[c.want] = true
	}
	for enum, values := range enums {
		for n, name := range values {
			if n != 0 && !named[name] {
				t.Errorf("%s value %s has no short constant", enum, name)
			}
		}
	}
}

func TestIsTerminal(t *testing.T) {
	for _, s := range []JobState{JobSucceeded, JobFailed, JobCancelled} {
		if !IsTerminal(s) {
			t.Errorf("IsTerminal(%v) = false", s)
		}
	}
	for _, s := range []JobState{JobQueued, JobRunning, graftv1.JobState_JOB_STATE_UNSPECIFIED} {
		if IsTerminal(s) {
			t.Errorf("IsTerminal(%v) = true", s)
		}
	}
}
