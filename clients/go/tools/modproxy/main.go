// Command modproxy writes one version of a Go module into a GOPROXY directory, the layout the
// go command reads from GOPROXY=file:///DIR (https://go.dev/ref/mod#goproxy-protocol):
//
//	DIR/<module>/@v/list           the versions, one a line
//	DIR/<module>/@v/<version>.info {"Version": ..., "Time": ...}
//	DIR/<module>/@v/<version>.mod  the module's go.mod
//	DIR/<module>/@v/<version>.zip  the module zip, made by golang.org/x/mod/zip
//
// The zip is made the way the go command and proxy.golang.org make one (CreateFromDir: no
// vendor/ directories, no nested modules, no version-control directories, size and path checks),
// so `go get <module>@<version>` from that directory gets what a published tag would give.
//
// Usage: go run . -module-dir ../.. -out DIR -version v0.1.0 [-time 2026-01-02T15:04:05Z]
// (run from clients/go/tools/modproxy; scripts/release calls it).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

func main() {
	dir := flag.String("module-dir", "", "the module's root directory (holds go.mod)")
	out := flag.String("out", "", "the GOPROXY directory to write into (created if missing)")
	version := flag.String("version", "", "the module version, canonical semver with a v (v0.1.0)")
	stamp := flag.String("time", "", "the version's time, RFC 3339 (default: now)")
	flag.Parse()
	if err := run(*dir, *out, *version, *stamp); err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
}

func run(dir, out, version, stamp string) error {
	if dir == "" || out == "" || version == "" {
		return errors.New("-module-dir, -out and -version are required")
	}
	if !semver.IsValid(version) || semver.Canonical(version) != version {
		return fmt.Errorf("version %q is not canonical semver (like v0.1.0)", version)
	}
	when := time.Now().UTC()
	if stamp != "" {
		t, err := time.Parse(time.RFC3339, stamp)
		if err != nil {
			return fmt.Errorf("-time: %w", err)
		}
		when = t.UTC()
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	path := modfile.ModulePath(gomod)
	if path == "" {
		return fmt.Errorf("%s/go.mod has no module line", dir)
	}
	mv := module.Version{Path: path, Version: version}
	if err := module.Check(path, version); err != nil {
		return err
	}
	escaped, err := module.EscapePath(path)
	if err != nil {
		return err
	}
	vdir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}

	var zip bytes.Buffer
	if err := modzip.CreateFromDir(&zip, mv, dir); err != nil {
		return fmt.Errorf("module zip: %w", err)
	}
	info, err := json.Marshal(struct {
		Version string
		Time    string
	}{version, when.Format(time.RFC3339)})
	if err != nil {
		return err
	}
	files := map[string][]byte{
		version + ".zip":  zip.Bytes(),
		version + ".mod":  gomod,
		version + ".info": append(info, '\n'),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			return err
		}
	}
	if err := addToList(filepath.Join(vdir, "list"), version); err != nil {
		return err
	}
	fmt.Printf("%s@%s -> %s (zip %d bytes)\n", path, version, vdir, zip.Len())
	return nil
}

// addToList adds version to the list file (one version a line, semver order), keeping the others.
func addToList(file, version string) error {
	var versions []string
	old, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, v := range strings.Fields(string(old)) {
		if v != version {
			versions = append(versions, v)
		}
	}
	versions = append(versions, version)
	slices.SortFunc(versions, semver.Compare)
	return os.WriteFile(file, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
