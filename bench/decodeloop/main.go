package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/decode"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/session"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "decodeloop:", err)
		os.Exit(1)
	}
}

// counts is what one pass over the capture saw.
type counts struct {
	packets, tcp int
	bytes        int64
	sessions     int
}

func run(args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("decodeloop", flag.ContinueOnError)
	read := fs.String("r", "", "capture file to read (required)")
	mode := fs.String("mode", "decode", "read (packets only), decode (packets and headers) or analyse (the whole analysis)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the pass to this file")
	memProfile := fs.String("memprofile", "", "write an allocation profile to this file after the pass")
	format := fs.String("o", "json", "with -mode analyse: report written (to nowhere) as json, table, none, or stream (sessions dropped as they end, as -o json and ndjson do)")
	heapAt := fs.Int("heapprofile-at", 0, "with -mode analyse and -memprofile: write the in-use heap profile after this many packets instead of at the end")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *read == "" {
		return errors.New("-r FILE is required")
	}
	var pass func(capture.Source) (counts, error)
	switch *mode {
	case "read":
		pass = readOnly
	case "decode":
		pass = decodeAll
	case "analyse":
		var write func(*session.Report) error
		switch *format {
		case "json":
			write = func(r *session.Report) error { return report.WriteJSON(io.Discard, r) }
		case "table":
			write = func(r *session.Report) error { return report.WriteTable(io.Discard, r, report.Options{}) }
		case "none", "stream":
			write = func(*session.Report) error { return nil }
		default:
			return fmt.Errorf("-o %q: want json, table or none", *format)
		}
		stream := *format == "stream"
		var at func()
		if *heapAt > 0 && *memProfile != "" {
			path := *memProfile
			*memProfile = ""
			at = func() {
				if f, err := os.Create(path); err == nil {
					runtime.GC()
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
		}
		pass = func(src capture.Source) (counts, error) { return analyse(src, write, stream, *heapAt, at) }
	default:
		return fmt.Errorf("-mode %q: want read, decode or analyse", *mode)
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	start := time.Now()
	src, err := capture.OpenFiles([]string{*read})
	if err != nil {
		return err
	}
	defer src.Close()
	c, err := pass(src)
	if err != nil {
		return err
	}
	elapsed := time.Since(start).Seconds()

	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return fmt.Errorf("memory profile: %w", err)
		}
	}
	for _, in := range src.Infos() {
		for _, msg := range in.Errors {
			fmt.Fprintf(os.Stderr, "decodeloop: %s\n", msg)
		}
	}
	_, err = fmt.Fprintf(stdout, "mode=%s packets=%d bytes=%d tcp=%d sessions=%d elapsed_s=%.3f pps=%.0f mbps=%.1f\n",
		*mode, c.packets, c.bytes, c.tcp, c.sessions, elapsed,
		float64(c.packets)/elapsed, float64(c.bytes)/elapsed/1e6)
	return err
}

// readOnly reads every packet and does nothing with it.
func readOnly(src capture.Source) (counts, error) {
	var c counts
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return c, err
		}
		c.packets++
		c.bytes += int64(len(p.Data))
	}
}

// decodeAll reads every packet and decodes its headers, as
// session.Analyzer does first with each.
func decodeAll(src capture.Source) (counts, error) {
	var c counts
	dec := decode.NewDecoder()
	var h decode.Headers
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return c, err
		}
		c.packets++
		c.bytes += int64(len(p.Data))
		if err := dec.Decode(p.Data, p.LinkType, &h); err == nil && h.HasTCP {
			c.tcp++
		}
	}
}

// analyse runs ftpscope's analysis as cmd/ftpscope does, then write.
// stream hands sessions on as they end and drops them; at, when set, is
// called once after heapAt packets.
func analyse(src capture.Source, write func(*session.Report) error, stream bool, heapAt int, at func()) (counts, error) {
	var c counts
	o := pipeline.Options{Packet: func() {
		c.packets++
		if at != nil && c.packets == heapAt {
			at()
		}
	}}
	if stream {
		o.Session.OnSession = func(*session.Session) {}
	}
	res, err := pipeline.Run(context.Background(), src, o)
	if err != nil {
		return c, err
	}
	if res.SourceErr != nil {
		return c, res.SourceErr
	}
	r := res.Report
	c.bytes = r.Stats.Bytes
	c.sessions = len(r.Sessions)
	if err := write(r); err != nil {
		return c, fmt.Errorf("report: %w", err)
	}
	return c, nil
}
