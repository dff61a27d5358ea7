package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ftpscope/ftpscope/capture"
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

// analyse reads the packets, analyses them and writes the report. It
// returns the rank of the worst finding (0 when none).
func analyse(ctx context.Context, o options, e env) (int, error) {
	start := time.Now()
	var src capture.Source
	var err error
	if o.iface != "" {
		src, err = openLive(ctx, o)
	} else {
		src, err = capture.OpenFilesFrom(o.read, e.stdin, capture.WithFilter(o.filter))
	}
	if err != nil {
		return 0, err
	}
	defer src.Close()

	var names []string
	for _, in := range src.Infos() {
		names = append(names, in.Name)
	}
	var nd *report.NDJSON
	worst := 0
	var streamErr error
	cfg := session.Config{ControlPorts: o.ports, ShowPasswords: o.showPasswords, SourceNames: names, Ladder: o.format == "ladder"}
	if o.format == "ndjson" {
		nd = report.NewNDJSON(e.stdout)
		cfg.OnSession = func(s *session.Session) {
			worst = max(worst, worstOf(s))
			if err := nd.Session(s); err != nil && streamErr == nil {
				streamErr = err
			}
		}
	}
	if o.iface != "" {
		// A live capture can run for days: end idle sessions sooner.
		cfg.IdleTimeout = 5 * time.Minute
	}
	an := session.NewAnalyzer(cfg)

	var w *capture.Writer
	var wf *os.File
	if o.write != "" {
		wf, err = os.Create(o.write)
		if err != nil {
			return 0, fmt.Errorf("-w: %w", err)
		}
		w, err = capture.NewWriter(wf)
		if err != nil {
			wf.Close()
			return 0, fmt.Errorf("-w %s: %w", o.write, err)
		}
		w.SetSources(src.Infos())
	}

	bar := newProgress(src, o, e)
	n := 0
	for {
		if o.iface == "" && ctx.Err() != nil {
			fmt.Fprintln(e.stderr, "ftpscope: interrupted; reporting what was read so far")
			break
		}
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, capture.ErrIdle) {
			// A quiet interface: live capture time is the clock's.
			an.Advance(time.Now())
			continue
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "ftpscope: %v\n", err)
			break
		}
		n++
		keep := an.Packet(p)
		if w != nil && keep {
			if err := w.WritePacket(p); err != nil {
				return 0, fmt.Errorf("-w %s: %w", o.write, err)
			}
		}
		bar.update()
		if o.count > 0 && n >= o.count {
			break
		}
	}
	bar.done()
	infos := src.Infos()
	r := an.Finish(infos)
	r.Stats.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	for _, s := range r.Sources {
		for _, msg := range s.Errors {
			fmt.Fprintf(e.stderr, "ftpscope: %s\n", msg)
		}
		if s.Dropped != nil && *s.Dropped > 0 {
			fmt.Fprintf(e.stderr, "ftpscope: warning: the kernel dropped %d packets on %s; findings may be incomplete\n", *s.Dropped, s.Name)
		}
	}
	if w != nil {
		if err := w.Close(); err != nil {
			return 0, fmt.Errorf("-w %s: %w", o.write, err)
		}
		if err := wf.Close(); err != nil {
			return 0, fmt.Errorf("-w %s: %w", o.write, err)
		}
	}
	for _, s := range r.Sessions {
		worst = max(worst, worstOf(s))
	}
	for _, f := range r.Findings {
		worst = max(worst, f.Severity.Rank())
	}
	ro := report.Options{Color: e.stdoutTTY, Width: e.width}
	switch o.format {
	case "json":
		err = report.WriteJSON(e.stdout, r)
	case "ndjson":
		err = streamErr
		for _, s := range r.Sources {
			if err == nil {
				err = nd.Source(s)
			}
		}
		for _, f := range r.Findings {
			if err == nil {
				err = nd.Finding(f)
			}
		}
		if err == nil {
			err = nd.Stats(r.Stats)
		}
	case "ladder":
		err = report.WriteLadder(e.stdout, r, ro)
	default:
		err = report.WriteTable(e.stdout, r, ro)
	}
	if err != nil {
		return worst, fmt.Errorf("writing the report: %w", err)
	}
	return worst, nil
}

func worstOf(s *session.Session) int {
	w := 0
	for _, f := range s.Findings {
		w = max(w, f.Severity.Rank())
	}
	for _, d := range s.DataChannels {
		for _, f := range d.Findings {
			w = max(w, f.Severity.Rank())
		}
	}
	return w
}
