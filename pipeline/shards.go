package pipeline

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
	"github.com/ftpscope/ftpscope/session"
)

// A file is analysed on several cores by Analyzers that share it
// (session.Config.Shards): one goroutine reads and decodes every packet
// once, and hands every packet, in batches, to every worker; each worker
// follows the control connections of the clients whose address falls in
// its share, with their data connections wherever those go (across NAT,
// or between two servers in FXP), and sees every packet, so that its
// clock, and so its decisions, are those of a single Analyzer. A
// session.Merger numbers the sessions, draws the findings that span
// shares and joins the reports into the one a single Analyzer gives,
// byte for byte, whatever the number of workers (TestWorkersSameReport).
//
// Where it could differ: two sessions of different clients announcing
// the same address and port at once both see the connection, where one
// Analyzer gives it to the later announcement. And a session seen at two
// capture points has a different client address at each behind NAT,
// the two competing for the same connections: several files are
// analysed on one goroutine (Run).

// batchSize is the number of packets handed to the workers at once.
const batchSize = 512

// batch is packets with their headers, read by every worker and given
// back to the pool by the last one.
type batch struct {
	items   []item
	arena   []byte // copies of the TCP headers and payloads
	pending atomic.Int32
}

type item struct {
	p  capture.Packet
	h  decode.Headers
	ok bool // h holds headers to analyse
}

// add copies p, without its frame (Analyzer.Analyse reads the headers
// only), and the headers h the front decoded from it, into the batch. The
// headers' slices are pointed at the batch's own copies.
func (b *batch) add(p capture.Packet, h *decode.Headers) {
	it := item{p: p}
	it.p.Data = nil
	if h != nil {
		it.ok = true
		it.h = *h
		it.h.TCP.Options, it.h.TCP.Padding = nil, nil
		// Payload and header point into the frame, which the source
		// reuses, or for a reassembled datagram into the decoder's
		// buffer: copy both.
		it.h.TCP.Contents = b.keep(h.TCP.Contents)
		it.h.TCP.Payload = b.keep(h.TCP.Payload)
	}
	b.items = append(b.items, it)
}

// keep copies s into the arena.
func (b *batch) keep(s []byte) []byte {
	if s == nil {
		return nil
	}
	start := len(b.arena)
	b.arena = append(b.arena, s...)
	return b.arena[start:len(b.arena):len(b.arena)]
}

// progress is what a worker did with one batch: the sessions it began
// (their ordinals) and those it ended. The last one, after the
// workers' Finish, has seq -1.
type progress struct {
	seq            int
	begun, claimed []int
	ended          []*session.Session
}

// runShards is Run for files on workers > 1 goroutines. The sessions the
// workers end are numbered and handed on (or kept) by a merger as soon
// as every worker has analysed the batch they ended in, so that they are
// streamed as one Analyzer streams them, in the same order.
func runShards(ctx context.Context, src capture.Source, o Options, cfg session.Config, workers int) (Result, error) {
	start := time.Now()
	fr := session.NewFront()
	caller := cfg.OnSession
	pool := sync.Pool{New: func() any { return &batch{} }}
	parts := make([]*session.Report, workers)
	chans := make([]chan *batch, workers)
	done := make(chan progress, 4*workers)
	var wg sync.WaitGroup
	for i := range workers {
		var ended []*session.Session
		c := cfg
		c.Shards, c.Shard = workers, i
		c.OnSession = func(s *session.Session) { ended = append(ended, s) }
		an := session.NewAnalyzer(c)
		chans[i] = make(chan *batch, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := 0
			for b := range chans[i] {
				for k := range b.items {
					it := &b.items[k]
					if it.ok {
						an.Analyse(it.p, &it.h)
					} else {
						an.Analyse(it.p, nil)
					}
				}
				if b.pending.Add(-1) == 0 {
					b.items, b.arena = b.items[:0], b.arena[:0]
					pool.Put(b)
				}
				begun, claimed := an.Begun()
				done <- progress{seq: seq, begun: begun, claimed: claimed, ended: ended}
				ended = nil
				seq++
			}
			parts[i] = an.Finish(nil)
			begun, claimed := an.Begun()
			done <- progress{seq: -1, begun: begun, claimed: claimed, ended: ended}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	merged := make(chan []*session.Session, 1)
	var m session.Merger
	go func() { merged <- merge(done, workers, &m, caller) }()

	send := func(b *batch) {
		b.pending.Store(int32(workers))
		for _, c := range chans {
			c <- b
		}
	}
	var res Result
	cur := pool.Get().(*batch)
	n := 0
	for {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.SourceErr = err
			break
		}
		n++
		cur.add(p, fr.Decode(p))
		if o.Packet != nil {
			o.Packet()
		}
		if len(cur.items) == batchSize {
			send(cur)
			cur = pool.Get().(*batch)
		}
		if o.Count > 0 && n >= o.Count {
			break
		}
	}
	if len(cur.items) > 0 {
		send(cur)
	}
	for _, c := range chans {
		close(c)
	}
	kept := <-merged
	for _, p := range parts[1:] {
		p.Sessions = nil
	}
	parts[0].Sessions = kept
	res.Report = m.Report(parts, fr, src.Infos())
	res.Report.Stats.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// merge numbers the sessions the workers end, batch by batch once every
// worker is past it, and hands them to caller in the order one Analyzer
// would; with no caller it returns them.
func merge(done <-chan progress, workers int, m *session.Merger, caller func(*session.Session)) []*session.Session {
	type step struct {
		reports        int
		begun, claimed [][]int
		ended          []*session.Session
	}
	steps := make(map[int]*step)
	var kept []*session.Session
	for p := range done {
		st := steps[p.seq]
		if st == nil {
			st = &step{}
			steps[p.seq] = st
		}
		st.reports++
		st.begun = append(st.begun, p.begun)
		st.claimed = append(st.claimed, p.claimed)
		st.ended = append(st.ended, p.ended...)
		if st.reports < workers {
			continue
		}
		// Every worker is past this batch, and so past every earlier
		// one: the batches complete in order.
		delete(steps, p.seq)
		m.Begun(st.begun, st.claimed)
		ended := m.Ended(st.ended)
		if caller == nil {
			kept = append(kept, ended...)
			continue
		}
		for _, s := range ended {
			caller(s)
		}
	}
	return kept
}
