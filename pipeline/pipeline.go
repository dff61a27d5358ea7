// Package pipeline runs one analysis end to end: the packets of a
// capture.Source through a session.Analyzer into a session.Report,
// optionally copying the packets the analysis kept to a capture.Writer.
//
// It is what cmd/ftpscope runs between parsing its flags and rendering
// the report, and what benchmarks and tests run to get the same report
// the command would. It prints nothing: what went wrong while reading is
// in the Result.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/session"
)

// Options say what Run does besides analysing.
type Options struct {
	// Session configures the analysis. SourceNames is filled in from the
	// source when empty; OnSession streams sessions as they end.
	Session session.Config
	// Write, when set, receives every packet of an FTP control
	// connection or of a data connection it correlated, with pcapng
	// comments: on every packet its source and number there ("ftpscope:
	// x.pcap #17"), and on each packet a finding cites, the finding. The
	// findings are known only when their sessions end, so the packets go
	// to a temporary file in SpoolDir while the analysis runs and are
	// written, in the order read, once the report exists: Run returns
	// after the last one.
	Write *capture.Writer
	// SpoolDir is where the packets for Write wait (see capture.Spool);
	// "" is the default directory for temporary files.
	SpoolDir string
	// Count stops the analysis after this many packets; 0 means no limit.
	Count int
	// Live says the source is a live capture: capture.ErrIdle moves the
	// analysis clock to Now, and a cancelled ctx is the source's to act
	// on (it drains what the kernel holds, then ends) rather than Run's.
	Live bool
	// Now is the wall clock of a live capture; default time.Now.
	Now func() time.Time
	// Packet, when set, is called after every packet analysed (a
	// progress bar's tick).
	Packet func()
	// Workers, above 1, shares the analysis of one file among that many
	// goroutines (see shards.go); the report is the same for every
	// number. Several files (whose capture points are compared), a live
	// source, -w (Write), an Observer or Tick are analysed on one. A live
	// capture on several cores is several sources (RunFanout).
	Workers int
	// Observer, when set, is told about every packet analysed and every
	// session that ends, as the analysis runs (the metrics of a live
	// capture).
	Observer Observer
	// Tick, when set, is called from Run's goroutine after every
	// TickEvery packets and whenever a live source is idle, with the
	// analysis, which it may ask how many sessions are open (a live
	// status line). It must not keep it.
	Tick func(Followed)
}

// Observer watches an analysis while it runs. Run calls its methods from
// its own goroutine, in the order things happen.
type Observer interface {
	// Packet is called after each packet is analysed, with its capture
	// time, its captured length and the number of sessions being followed
	// after it. It runs once per packet: it must not block, and should
	// not allocate.
	Packet(ts time.Time, length, open int)
	// SessionEnded is called once for each session as it ends, with the
	// number of sessions still followed, before the session is streamed
	// (Session.OnSession) or kept for the report. With several inputs and
	// no OnSession, sessions are told at the end instead, once the
	// capture points are correlated.
	SessionEnded(s *session.Session, open int)
}

// TickEvery is how many packets pass between two calls of Options.Tick.
const TickEvery = 1024

// Result is the outcome of Run.
type Result struct {
	// Report is the analysis, with Stats.ElapsedMS set.
	Report *session.Report
	// Interrupted says ctx ended the reading of files before their end;
	// the report covers what was read.
	Interrupted bool
	// SourceErr is the error that ended the source early, if any; the
	// report covers what was read before it.
	SourceErr error
	// Begun and Claimed are what the Analyzer's Begun returned at the
	// end, when it analysed one share of the input (session.Config.Shards,
	// ftpscope --shard): what ftpscope merge needs to number sessions.
	Begun, Claimed []int
}

// Run reads src to its end (or to Count packets, or until ctx ends for
// files), analyses every packet and returns the report. Its error is
// only for what makes the report unusable: a failed write of -w (or of
// its temporary file).
func Run(ctx context.Context, src capture.Source, o Options) (Result, error) {
	start := time.Now()
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := o.Session
	if len(cfg.SourceNames) == 0 {
		for _, in := range src.Infos() {
			cfg.SourceNames = append(cfg.SourceNames, in.Name)
		}
	}
	if o.Workers > 1 && cfg.Shards == 0 && len(cfg.SourceNames) == 1 && !o.Live && o.Write == nil && o.Observer == nil && o.Tick == nil {
		return runShards(ctx, src, o, cfg, o.Workers)
	}
	// Sessions seen at several capture points are compared once all are
	// read: with several files, sessions are handed on at the end, in
	// the order they ended.
	var lateCaller func(*session.Session)
	if len(cfg.SourceNames) > 1 && !o.Live && cfg.OnSession != nil {
		lateCaller, cfg.OnSession = cfg.OnSession, nil
	}
	var an *session.Analyzer
	var queue *writeQueue
	var notes *notes
	if o.Write != nil {
		spool, err := capture.NewSpool(o.SpoolDir)
		if err != nil {
			return Result{}, fmt.Errorf("writing packets: %w", err)
		}
		defer spool.Close()
		queue = &writeQueue{spool: spool}
		notes = newNotes(cfg.SourceNames)
		if next := cfg.OnSession; next != nil {
			// Sessions handed on are not in the report: their findings
			// are noted as they end.
			cfg.OnSession = func(s *session.Session) {
				notes.session(s)
				next(s)
			}
		}
	}
	// kept holds the sessions an Observer saw end when the caller keeps
	// them for the report (no OnSession): they go back into it at the end.
	var kept []*session.Session
	late := false // sessions are told to the Observer after Finish
	if obs := o.Observer; obs != nil {
		if next := cfg.OnSession; next != nil {
			cfg.OnSession = func(s *session.Session) {
				obs.SessionEnded(s, an.OpenSessions())
				next(s)
			}
		} else if len(cfg.SourceNames) > 1 {
			late = true
		} else {
			cfg.OnSession = func(s *session.Session) {
				obs.SessionEnded(s, an.OpenSessions())
				kept = append(kept, s)
			}
		}
	}
	an = session.NewAnalyzer(cfg)
	var res Result
	n := 0
	for {
		if !o.Live && ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, capture.ErrIdle) {
			// A quiet interface: live capture time is the clock's.
			an.Advance(o.Now())
			if o.Tick != nil {
				o.Tick(an)
			}
			continue
		}
		if err != nil {
			res.SourceErr = err
			break
		}
		n++
		keep := an.Packet(p)
		if queue != nil {
			if err := queue.add(p, keep); err != nil {
				return res, fmt.Errorf("writing packets: %w", err)
			}
		}
		if o.Observer != nil {
			o.Observer.Packet(p.Info.Timestamp, len(p.Data), an.OpenSessions())
		}
		if o.Packet != nil {
			o.Packet()
		}
		if o.Tick != nil && n%TickEvery == 0 {
			o.Tick(an)
		}
		if o.Count > 0 && n >= o.Count {
			break
		}
	}
	res.Report = an.Finish(src.Infos())
	if len(kept) > 0 {
		res.Report.Sessions = append(kept, res.Report.Sessions...)
		slices.SortFunc(res.Report.Sessions, func(a, b *session.Session) int { return a.ID - b.ID })
	}
	if late {
		for _, s := range res.Report.Sessions {
			o.Observer.SessionEnded(s, 0)
		}
	}
	if queue != nil {
		if err := writeSpooled(queue, notes, res.Report, o.Write); err != nil {
			return res, fmt.Errorf("writing packets: %w", err)
		}
	}
	if lateCaller != nil {
		handOn(res.Report, lateCaller)
	}
	if cfg.Shards > 0 {
		res.Begun, res.Claimed = an.Begun()
	}
	res.Report.Stats.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// handOn gives the sessions of r to f in the order they ended, and
// leaves r without them, as if they had been handed on as they ended.
func handOn(r *session.Report, f func(*session.Session)) {
	out := r.Sessions
	session.EndOrder(out)
	for _, s := range out {
		f(s)
	}
	r.Sessions = []*session.Session{}
}

// writeSpooled writes the spooled packets to w with their comments, once
// r, whose sessions and findings were not handed on, is complete.
func writeSpooled(queue *writeQueue, notes *notes, r *session.Report, w *capture.Writer) error {
	if err := queue.end(); err != nil {
		return err
	}
	for _, s := range r.Sessions {
		notes.session(s)
	}
	notes.global(r.Findings)
	if notes.dropped > 0 && len(r.Sources) > 0 {
		r.Sources[0].Errors = append(r.Sources[0].Errors, fmt.Sprintf(
			"-w: %d citations of packets by findings were not written as packet comments: more than %d in all", notes.dropped, maxCites))
	}
	return queue.spool.Replay(func(p capture.Packet) error {
		return w.WritePacketComments(p, notes.comments(p)...)
	})
}
