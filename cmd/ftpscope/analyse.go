package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/session"
	"golang.org/x/term"
)

func (e env) detectTTY() env {
	if f, ok := e.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		e.stdoutTTY = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			e.width = w
		}
	}
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		e.stderrTTY = true
	}
	return e
}

// analyse opens the input, runs the analysis and writes the report. It
// returns the worst severity among the findings ("" when none).
func analyse(ctx context.Context, o options, e env) (session.Severity, error) {
	var src capture.Source
	var err error
	if o.iface != "" {
		src, err = openLive(ctx, o)
	} else {
		src, err = capture.OpenFilesFrom(o.read, e.stdin, capture.WithFilter(o.filter))
	}
	if err != nil {
		return "", err
	}
	defer src.Close()

	po := pipeline.Options{
		Session: session.Config{ControlPorts: o.ports, ShowPasswords: o.showPasswords, Filter: o.filter,
			Ladder: o.format == "ladder" || o.format == "html"},
		Live:  o.iface != "",
		Count: o.count,
	}
	if needsTranscript(o.format) {
		po.Session.Transcript, po.Session.Ladder = true, true
	}
	if po.Live {
		// A live capture can run for days: end idle sessions sooner.
		po.Session.IdleTimeout = 5 * time.Minute
	}
	if o.metrics != "" {
		m, stop, err := serveMetrics(o.metrics, src, e.stderr)
		if err != nil {
			return "", err
		}
		defer stop()
		po.Observer = m
	}
	out, closeOut, err := openOutput(o, e)
	if err != nil {
		return "", err
	}
	defer closeOut()
	if o.output != "" {
		e.stdoutTTY, e.width = false, 0 // no colour in a file, and the default width
	}
	var worst session.Severity
	var streamErr error
	nd := newStream(o, out)
	if nd != nil {
		po.Session.OnSession = func(s *session.Session) {
			if w := s.Worst(); w.Rank() > worst.Rank() {
				worst = w
			}
			if err := nd.Session(s); err != nil && streamErr == nil {
				streamErr = err
			}
		}
	}
	var wf *os.File
	if o.write != "" {
		if wf, err = os.Create(o.write); err != nil {
			return "", fmt.Errorf("-w: %w", err)
		}
		defer wf.Close()
		if po.Write, err = capture.NewWriter(wf); err != nil {
			return "", fmt.Errorf("-w %s: %w", o.write, err)
		}
		po.Write.SetSources(src.Infos())
	}
	bar := newProgress(src, o, e)
	po.Packet = bar.update
	res, err := pipeline.Run(ctx, src, po)
	bar.done()
	if err != nil {
		return "", fmt.Errorf("-w %s: %w", o.write, err)
	}
	if res.Interrupted {
		fmt.Fprintln(e.stderr, "ftpscope: interrupted; reporting what was read so far")
	}
	if res.SourceErr != nil {
		fmt.Fprintf(e.stderr, "ftpscope: %v\n", res.SourceErr)
	}
	r := res.Report
	for _, s := range r.Sources {
		for _, msg := range s.Errors {
			fmt.Fprintf(e.stderr, "ftpscope: %s\n", msg)
		}
		if s.Dropped != nil && *s.Dropped > 0 {
			fmt.Fprintf(e.stderr, "ftpscope: warning: the kernel dropped %d packets on %s; findings may be incomplete\n", *s.Dropped, s.Name)
		}
	}
	if po.Write != nil {
		if err := po.Write.Close(); err != nil {
			return "", fmt.Errorf("-w %s: %w", o.write, err)
		}
		if err := wf.Close(); err != nil {
			return "", fmt.Errorf("-w %s: %w", o.write, err)
		}
	}
	if w := r.Worst(); w.Rank() > worst.Rank() {
		worst = w
	}
	if err := render(out, r, o, e, nd, streamErr); err != nil {
		return worst, fmt.Errorf("writing the report: %w", err)
	}
	if err := closeOut(); err != nil {
		return worst, fmt.Errorf("writing the report: %w", err)
	}
	return worst, nil
}

// openOutput returns where the report goes: the file of --output, or
// standard output. Closing it again after the first time does nothing.
func openOutput(o options, e env) (io.Writer, func() error, error) {
	if o.output == "" {
		return e.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(o.output)
	if err != nil {
		return nil, nil, fmt.Errorf("--output: %w", err)
	}
	var once sync.Once
	var cerr error
	return f, func() error { once.Do(func() { cerr = f.Close() }); return cerr }, nil
}

// render writes the report in the format of -o. nd is the stream the
// sessions already went to (NDJSON, Zeek, EVE), with streamErr its first
// error.
func render(w io.Writer, r *session.Report, o options, e env, nd stream, streamErr error) error {
	ro := report.Options{Color: e.stdoutTTY, Width: e.width}
	switch o.format {
	case "json":
		return report.WriteJSON(w, r)
	case "ndjson", "zeek", "zeek-json", "eve":
		if streamErr != nil {
			return streamErr
		}
		return nd.End(r)
	case "ladder":
		return report.WriteLadder(w, r, ro)
	case "html":
		return report.WriteHTML(w, r, report.HTMLOptions{})
	}
	return report.WriteTable(w, r, ro)
}
