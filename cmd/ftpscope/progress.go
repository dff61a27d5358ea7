package main

import (
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/schollz/progressbar/v3"
)

// progress draws a progress bar on stderr while files are read, only
// when stderr is a terminal.
type progress struct {
	bar  *progressbar.ProgressBar
	src  capture.Progresser
	next time.Time
	n    int
}

func newProgress(src capture.Source, o options, e env) *progress {
	p := &progress{}
	ps, ok := src.(capture.Progresser)
	if !ok || o.quiet || o.iface != "" || !e.stderrTTY {
		return p
	}
	_, total := ps.Progress()
	p.src = ps
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("reading"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

// update is called for every packet; it looks at the clock only every
// 4096 packets.
func (p *progress) update() {
	if p.bar == nil {
		return
	}
	p.n++
	if p.n&4095 != 0 {
		return
	}
	if now := time.Now(); now.After(p.next) {
		p.next = now.Add(100 * time.Millisecond)
		read, _ := p.src.Progress()
		_ = p.bar.Set64(read)
	}
}

func (p *progress) done() {
	if p.bar == nil {
		return
	}
	read, _ := p.src.Progress()
	_ = p.bar.Set64(read)
	_ = p.bar.Finish()
}
