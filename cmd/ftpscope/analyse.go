package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/session"
	"golang.org/x/term"
)

// defaultWidth is the width of the text formats when the output is not a
// terminal and COLUMNS does not say otherwise.
const defaultWidth = 80

// detectTTY sees which streams are terminals and how wide the text
// formats may be: $COLUMNS when set, else the terminal's width, else 80.
func (e env) detectTTY() env {
	if f, ok := e.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		e.stdoutTTY = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && e.width == 0 {
			e.width = w
		}
	}
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		e.stderrTTY = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && e.errWidth == 0 {
			e.errWidth = w
		}
	}
	if e.getenv == nil {
		e.getenv = os.Getenv
	}
	if n, err := strconv.Atoi(e.getenv("COLUMNS")); err == nil && n > 0 {
		e.width, e.errWidth, e.columns = n, n, n
	}
	if e.width == 0 {
		e.width = defaultWidth
	}
	if e.errWidth == 0 {
		e.errWidth = defaultWidth
	}
	return e
}

// output is where the report goes: stdout, or stderr when -w - sends the
// packets to stdout.
type output struct {
	w     io.Writer
	tty   bool
	width int
}

// analyse opens the input, runs the analysis and writes the report. It
// returns the worst severity among the findings reported ("" when none).
func analyse(ctx context.Context, o options, e env) (session.Severity, error) {
	out := output{w: e.stdout, tty: e.stdoutTTY, width: e.width}
	if o.write == "-" {
		if e.stdoutTTY {
			return "", usagef("-w - writes packets to standard output, which is a terminal: pipe it (ftpscope ... -w - | wireshark -k -i -) or give a file name")
		}
		out = output{w: e.stderr, tty: e.stderrTTY, width: e.errWidth}
	}
	out, closeOut, err := openOutput(o, e, out)
	if err != nil {
		return "", err
	}
	defer closeOut()
	// srcs is the input: the files, or the sockets of the interface,
	// each analysed on a core of its own (pipeline.RunFanout).
	var srcs []capture.Source
	if o.iface != "" {
		var err error
		if srcs, err = openLive(ctx, o, e.stderr); err != nil {
			return "", err
		}
	} else {
		src, err := capture.OpenFilesFrom(o.read, e.stdin, capture.WithFilter(o.filter))
		if err != nil {
			return "", err
		}
		srcs = []capture.Source{src}
	}
	defer func() {
		for _, src := range srcs {
			src.Close()
		}
	}()
	src := srcs[0]
	if l, ok := src.(capture.LinkTyper); ok {
		fmt.Fprintln(e.stderr, listening(o.iface, l.LinkType()))
	}

	sel := report.Selection{OnlyProblems: o.onlyProblems, Session: o.session}
	textual := o.format == "table" || o.format == "summary" || o.format == "ladder"
	po := pipeline.Options{
		Session: session.Config{
			ControlPorts:  o.ports,
			ShowPasswords: o.showPasswords,
			Filter:        o.filter,
			Ladder:        o.format == "ladder" || o.format == "html",
			Transcript:    textual && (o.verbose > 0 || o.showPasswords),
		},
		Live:    o.iface != "",
		Count:   o.count,
		Workers: cmp.Or(o.workers, runtime.NumCPU()),
	}
	if o.shardN > 0 {
		po.Session.Shards, po.Session.Shard = o.shardN, o.shardK
		po.Workers = 1
	}
	if needsTranscript(o.format) {
		po.Session.Transcript, po.Session.Ladder = true, true
	}
	if po.Live {
		// A live capture can run for days: end idle sessions sooner.
		po.Session.IdleTimeout = 5 * time.Minute
	}
	if o.metrics != "" {
		m, stop, err := serveMetrics(o.metrics, allInfos(srcs), e.stderr)
		if err != nil {
			return "", err
		}
		defer stop()
		po.Observer = m
	}
	status := newLiveStatus(allInfos(srcs), o, e)
	var worst session.Severity
	var streamErr error
	var kept []*session.Session
	seen := false
	// Sessions are handed on as they end when they are streamed (NDJSON,
	// Zeek, EVE) or counted on a live status line; the selection applies
	// there as it does to the report.
	nd := newStream(o, out.w)
	if nd != nil || po.Live {
		po.Session.OnSession = func(s *session.Session) {
			status.session(s)
			if !sel.Keep(s) {
				return
			}
			seen = true
			if w := s.Worst(); w.Rank() > worst.Rank() {
				worst = w
			}
			if nd == nil {
				kept = append(kept, s)
				return
			}
			if err := nd.Session(s); err != nil && streamErr == nil {
				streamErr = err
			}
		}
	}
	var wf io.Writer
	if o.write != "" {
		if o.write == "-" {
			wf = e.stdout
		} else {
			f, err := os.Create(o.write)
			if err != nil {
				return "", fmt.Errorf("-w: %w", err)
			}
			defer f.Close()
			wf = f
			// The packets wait beside the file for the report (see
			// pipeline.Options.Write), where there is room for them;
			// not beside a pipe or a device (/dev/stdout).
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				po.SpoolDir = filepath.Dir(o.write)
			}
		}
		var err error
		if po.Write, err = capture.NewWriter(wf); err != nil {
			return "", fmt.Errorf("-w %s: %w", o.write, err)
		}
		po.Write.SetSources(src.Infos())
	}
	bar := newProgress(src, o, e)
	if bar.bar != nil || status != nil {
		// Called for every packet, one at a time however many cores
		// analyse: only when something is drawn.
		po.Packet = func() {
			bar.update()
			status.packet()
		}
	}
	if status != nil {
		po.Tick = status.tick
	}
	res, err := pipeline.RunFanout(ctx, srcs, po)
	bar.done()
	status.done()
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
			per := ""
			if list := droppedPerSocket(srcs); list != "" {
				per = " (" + list + " on its " + fmt.Sprint(len(srcs)) + " sockets)"
			}
			fmt.Fprintf(e.stderr, "ftpscope: warning: the kernel dropped %d packets on %s%s; findings may be incomplete\n", *s.Dropped, s.Name, per)
		}
	}
	if o.iface != "" && o.verbose > 0 {
		fmt.Fprintln(e.stderr, socketsLine(o.iface, srcs))
	}
	if po.Write != nil {
		if err := po.Write.Close(); err != nil {
			return "", fmt.Errorf("-w %s: %w", o.write, err)
		}
		if f, ok := wf.(*os.File); ok && o.write != "-" {
			if err := f.Close(); err != nil {
				return "", fmt.Errorf("-w %s: %w", o.write, err)
			}
		}
	}
	if len(kept) > 0 {
		// Sessions a live capture handed on go back into the report.
		r.Sessions = append(kept, r.Sessions...)
		slices.SortStableFunc(r.Sessions, func(a, b *session.Session) int { return a.ID - b.ID })
	}
	r = sel.Apply(r)
	if o.session != 0 && !seen && len(r.Sessions) == 0 {
		return worst, fmt.Errorf("no session %d: the input has %s, numbered from 1", o.session,
			plural(r.Stats.FTPSessions, "FTP session", "FTP sessions"))
	}
	if w := r.Worst(); w.Rank() > worst.Rank() {
		worst = w
	}
	if sh, ok := nd.(*report.NDJSON); ok && o.shardN > 0 && streamErr == nil {
		streamErr = sh.ShardLine(report.ShardHeader{Index: o.shardK, Of: o.shardN, Begun: res.Begun, Claimed: res.Claimed})
	}
	if err := render(out, r, o, nd, streamErr); err != nil {
		return worst, fmt.Errorf("writing the report: %w", err)
	}
	if err := closeOut(); err != nil {
		return worst, fmt.Errorf("writing the report: %w", err)
	}
	return worst, nil
}

// openOutput opens the file of -O when there is one, in place of out,
// and returns the function that closes it (once; later calls return the
// first call's error).
func openOutput(o options, e env, out output) (output, func() error, error) {
	if o.output == "" {
		return out, func() error { return nil }, nil
	}
	f, err := os.Create(o.output)
	if err != nil {
		return out, nil, fmt.Errorf("--output: %w", err)
	}
	var once sync.Once
	var cerr error
	closeOut := func() error { once.Do(func() { cerr = f.Close() }); return cerr }
	// No colour in a file, and the width of COLUMNS or 80.
	return output{w: f, width: cmp.Or(e.columns, defaultWidth)}, closeOut, nil
}

// render writes the report in the format of -o. nd is the stream the
// sessions already went to (NDJSON, Zeek, EVE), with streamErr its first
// error.
func render(out output, r *session.Report, o options, nd stream, streamErr error) error {
	ro := report.Options{
		Color:         out.tty,
		Width:         out.width,
		Time:          report.TimeBase(o.timeBase),
		Transcript:    o.verbose > 0,
		ShowPasswords: o.showPasswords,
	}
	if !o.formatGiven {
		ro.SummarizeAbove = summariseAbove
	}
	w := out.w
	switch o.format {
	case "json", "ndjson", "zeek", "zeek-json", "eve":
		if nd == nil { // JSON of several inputs, kept in the report
			return report.WriteJSON(w, r)
		}
		if streamErr != nil {
			return streamErr
		}
		return nd.End(r)
	case "ladder":
		return report.WriteLadder(w, r, ro)
	case "summary":
		return report.WriteSummary(w, r, ro)
	case "html":
		return report.WriteHTML(w, r, report.HTMLOptions{})
	}
	return report.WriteTable(w, r, ro)
}
