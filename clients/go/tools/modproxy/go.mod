// A separate module (not part of the client's zip or its dependencies): the tool scripts/release
// uses to write the Go module into a GOPROXY directory.
module github.com/graft-dev/graft/clients/go/tools/modproxy

go 1.26.0

require golang.org/x/mod v0.43.0
