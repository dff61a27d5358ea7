package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ftpscope/ftpscope/session"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// gcPercent is the garbage collector's target unless GOGC says otherwise:
// below Go's 100, so that the heap holds at most 1.6 times what is live.
// Under a flood of open sessions that keeps the peak near the analysis's
// bounds; on ordinary captures it costs no measurable time.
const gcPercent = 60

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// env is what run talks to: the process's streams, or a test's buffers.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdoutTTY and stderrTTY say whether the streams are terminals
	// (colour, progress bar, status line). Tests leave them false.
	stdoutTTY, stderrTTY bool
	// width and errWidth are the widths of the text formats on stdout
	// and stderr; 0 until detectTTY measures them.
	width, errWidth int
	// columns is $COLUMNS, 0 when it is not set.
	columns int
	// getenv reads the environment (COLUMNS); nil means os.Getenv.
	getenv func(string) string
}

// Exit codes of CONTRACT.md.
const (
	exitOK     = 0
	exitFailOn = 1
	exitUsage  = 2
)

// usageError is a mistake on the command line: exit 2 with the message.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	if isCompletionRequest(args) {
		return complete(args, e)
	}
	e = e.detectTTY()
	if len(args) > 0 && args[0] == "merge" {
		return runMerge(ctx, args[1:], e)
	}
	opts, err := parseFlags(args, e.stdout)
	if errors.Is(err, errHelpShown) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ftpscope: %v\nRun 'ftpscope --help' for usage.\n", err)
		return exitUsage
	}
	if opts.version {
		fmt.Fprint(e.stdout, versionText(debug.ReadBuildInfo()))
		return exitOK
	}
	worst, err := analyse(ctx, opts, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "ftpscope: %v\n", err)
		return exitUsage
	}
	if opts.failOn != "" && worst.Rank() >= session.Severity(opts.failOn).Rank() {
		return exitFailOn
	}
	return exitOK
}
