package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// versionText is what --version prints: the version (the module version
// of go install …@vX, else the one set with -ldflags "-X
// main.version=…"), the VCS commit and its date when the binary's build
// info has them (go build in a checkout with -buildvcs, the default), the
// Go version and the live capture backend.
func versionText(bi *debug.BuildInfo, ok bool) string {
	v := version
	var rev, when string
	var modified bool
	goVersion := runtime.Version()
	if ok && bi != nil {
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			v = mv
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ftpscope %s\n", v)
	if rev != "" {
		line := "commit " + rev
		if modified {
			line += " with uncommitted changes"
		}
		if t, err := time.Parse(time.RFC3339, when); err == nil {
			line += ", committed " + t.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		if buildDate != "" {
			line += ", built " + buildDate
		}
		b.WriteString(line + "\n")
	} else if buildDate != "" {
		b.WriteString("built " + buildDate + "\n")
	}
	fmt.Fprintf(&b, "%s %s/%s, live capture with %s\n", goVersion, runtime.GOOS, runtime.GOARCH, liveBackend())
	return b.String()
}

// buildDate is set at build time with -ldflags "-X main.buildDate=…"; the
// build info of the Go toolchain holds the commit's date, not the build's.
var buildDate = ""
