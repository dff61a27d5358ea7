package pipeline

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/session"
)

// Followed is what Options.Tick may ask of the analysis while it runs.
// *session.Analyzer is one.
type Followed interface {
	// OpenSessions is the number of sessions being followed: begun and
	// not yet ended.
	OpenSessions() int
}

// endedQueue is how many ended sessions may wait for the goroutine that
// hands them on before the analysis waits for it.
const endedQueue = 256

// RunFanout analyses a live capture whose packets are shared by several
// sources that each get every packet of their IP address pairs (the
// sockets of a fanout group, capture.OpenLiveFanout): each source is read
// and analysed on a goroutine of its own, by a session.Analyzer of its
// own, so the analysis of a session and of its data connections is on
// one core. The Analyzers number sessions with one counter, in the order
// they begin (session.Config.NextID), hand every session on as it ends to
// one goroutine, which tells a session.Merger of it (for the findings
// over all sessions) and then Options.Session.OnSession, or keeps it for
// the report, in the order they arrive; the report is the Merger's join
// of the Analyzers' (session.Merger.Join), with the sources of one
// interface summed, kernel drops included.
//
// What differs from one source: session numbers follow the order in
// which the Analyzers met the packets that began the sessions, each
// reading its own source at its own pace, not exactly the order of those
// packets on the wire; a packet's number (the evidence's) is its number
// in its source; and each Analyzer's clock, which ends what is due once a
// second of capture time, runs on its own packets. Data connections
// between other addresses than their control connection's (NAT between
// the two, FXP) reach another source and are not correlated.
//
// The sources must allow Close while Next runs on another goroutine, as
// live sources do (RunFanout closes them all to stop every worker once
// one ends the analysis); a file source does not.
//
// Options work as with Run, a live source, with these differences: Count
// stops every source once that many packets were analysed in all (the
// sources are closed); an error of one source ends them all; Packet,
// Tick, the Observer's methods and OnSession are called one at a time,
// from whichever goroutine, with the number of sessions followed by all
// the Analyzers. Workers is the number of sources; Write is refused. With
// one source RunFanout is Run.
func RunFanout(ctx context.Context, srcs []capture.Source, o Options) (Result, error) {
	switch {
	case len(srcs) == 0:
		return Result{}, errors.New("pipeline: RunFanout without a source")
	case len(srcs) == 1:
		return Run(ctx, srcs[0], o)
	case o.Write != nil:
		return Result{}, errors.New("pipeline: writing packets (Write) needs the capture on one source")
	}
	start := time.Now()
	if o.Now == nil {
		o.Now = time.Now
	}
	f := &fanout{
		o:     o,
		srcs:  srcs,
		open:  make([]paddedCount, len(srcs)),
		ended: make(chan *session.Session, endedQueue),
		track: o.Observer != nil || o.Tick != nil,
	}
	cfg := o.Session
	if len(cfg.SourceNames) == 0 {
		for _, in := range srcs[0].Infos() {
			cfg.SourceNames = append(cfg.SourceNames, in.Name)
		}
	}
	next := cfg.OnSession

	var merger session.Merger
	var kept []*session.Session
	handed := make(chan struct{})
	go func() {
		defer close(handed)
		for s := range f.ended {
			f.mu.Lock()
			merger.Note(s)
			if obs := o.Observer; obs != nil {
				obs.SessionEnded(s, f.OpenSessions())
			}
			if next != nil {
				next(s)
			} else {
				kept = append(kept, s)
			}
			f.mu.Unlock()
		}
	}()

	parts := make([]*session.Report, len(srcs))
	var wg sync.WaitGroup
	for i := range srcs {
		wc := cfg
		wc.Joined = true
		wc.NextID = f.nextID
		var an *session.Analyzer
		wc.OnSession = func(s *session.Session) {
			if f.track {
				f.open[i].n.Store(int64(an.OpenSessions()))
			}
			f.ended <- s
		}
		an = session.NewAnalyzer(wc)
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = f.work(i, an)
		}()
	}
	wg.Wait()
	close(f.ended)
	<-handed
	f.closing.Wait()

	res := Result{SourceErr: f.err}
	res.Report = merger.Join(parts)
	if len(kept) > 0 {
		res.Report.Sessions = append(kept, res.Report.Sessions...)
		slices.SortStableFunc(res.Report.Sessions, func(a, b *session.Session) int { return a.ID - b.ID })
	}
	res.Report.Stats.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// fanout is the state RunFanout's goroutines share.
type fanout struct {
	o    Options
	srcs []capture.Source

	ids atomic.Int64 // sessions numbered
	// open is each Analyzer's number of sessions followed, kept when
	// track says something asks for it.
	open  []paddedCount
	track bool
	// ended takes the sessions that ended to the goroutine that hands
	// them on.
	ended chan *session.Session
	// mu makes the caller's callbacks run one at a time.
	mu sync.Mutex

	claimed atomic.Int64 // packets taken towards Options.Count
	stopped atomic.Bool
	stop    sync.Once
	closing sync.WaitGroup
	errOnce sync.Once
	err     error // the first source error; read after the workers end
}

// paddedCount is a counter alone on its cache line, written by one
// goroutine and read by others.
type paddedCount struct {
	n atomic.Int64
	_ [56]byte
}

var _ Followed = (*fanout)(nil)

// OpenSessions is the number of sessions all the Analyzers follow.
func (f *fanout) OpenSessions() int {
	var n int64
	for i := range f.open {
		n += f.open[i].n.Load()
	}
	return int(n)
}

func (f *fanout) nextID() int { return int(f.ids.Add(1)) }

// work reads source i to its end, or until the analysis stops, analyses
// every packet with an, and returns an's report.
func (f *fanout) work(i int, an *session.Analyzer) *session.Report {
	src := f.srcs[i]
	o := &f.o
	n := 0
	var unclaimed int    // packets read past Count, not analysed
	var unclaimedB int64 // and their bytes
	for !f.stopped.Load() {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, capture.ErrIdle) {
			// A quiet interface: live capture time is the clock's.
			an.Advance(o.Now())
			if f.track {
				f.open[i].n.Store(int64(an.OpenSessions()))
			}
			if o.Tick != nil {
				f.mu.Lock()
				o.Tick(f)
				f.mu.Unlock()
			}
			continue
		}
		if err != nil {
			f.errOnce.Do(func() { f.err = err })
			f.halt()
			break
		}
		last := false
		if o.Count > 0 {
			k := f.claimed.Add(1)
			if k > int64(o.Count) {
				unclaimed++
				unclaimedB += int64(len(p.Data))
				break
			}
			last = k == int64(o.Count)
		}
		n++
		an.Packet(p)
		if f.track {
			f.open[i].n.Store(int64(an.OpenSessions()))
		}
		tick := o.Tick != nil && n%TickEvery == 0
		if o.Observer != nil || o.Packet != nil || tick {
			f.mu.Lock()
			if o.Observer != nil {
				o.Observer.Packet(p.Info.Timestamp, len(p.Data), f.OpenSessions())
			}
			if o.Packet != nil {
				o.Packet()
			}
			if tick {
				o.Tick(f)
			}
			f.mu.Unlock()
		}
		if last {
			f.halt()
			break
		}
	}
	infos := src.Infos()
	if unclaimed > 0 && len(infos) > 0 {
		// The source counted them; the report counts what was analysed.
		infos[0].Packets -= unclaimed
		infos[0].Bytes -= unclaimedB
	}
	return an.Finish(infos)
}

// halt stops every worker: Count was reached, or a source failed. The
// sources are closed, so that a worker waiting for packets returns.
func (f *fanout) halt() {
	f.stop.Do(func() {
		f.stopped.Store(true)
		for _, src := range f.srcs {
			f.closing.Add(1)
			go func() {
				defer f.closing.Done()
				src.Close()
			}()
		}
	})
}
