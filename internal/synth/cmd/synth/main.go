// Command synth writes ftpscope's synthetic FTP captures, all made by
// package synth. With no subcommand it writes every scenario capture, with
// SCENARIOS.md, into a directory:
//
//	go run ./internal/synth/cmd/synth -out testdata
//
// "synth big" writes one large capture of many interleaved healthy
// sessions with noise beside them (synth.BigCaptureWith), the captures
// bench/run.sh and bench/live.sh measure ftpscope on:
//
//	go run ./internal/synth/cmd/synth big -sessions 20000 -seed 1 -o /tmp/big.pcap
//	go run ./internal/synth/cmd/synth big -sessions 2800 -seed 1 -ftp-share 0.1 -o /tmp/mixed.pcap
//
// The first is FTP with a little DNS and HTTPS beside it (about 270 MB);
// the second adds long HTTPS-like downloads between other hosts until FTP
// is about 10 % of the packets (about 1 GB). "synth big" prints what it
// wrote (sessions by mode, packets, FTP and noise packets, bulk
// connections, bytes) as one line of key=value pairs on stdout. The same
// flags always give the same file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ftpscope/ftpscope/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "big" {
		return big(args[1:], stdout)
	}
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	out := fs.String("out", "testdata", "directory to write the captures into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unknown subcommand %q (the one there is: big)", fs.Arg(0))
	}
	if err := synth.WriteAll(*out); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "wrote %d captures and %s to %s\n", len(synth.Scenarios()), synth.IndexFile, *out)
	return err
}

// big writes one large capture: synth big -sessions N -seed S [-ftp-share X] -o FILE.
func big(args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("synth big", flag.ContinueOnError)
	sessions := fs.Int("sessions", 20000, "number of FTP sessions")
	seed := fs.Uint64("seed", 1, "seed of the random choices (timing, file sizes)")
	share := fs.Float64("ftp-share", 0, "with a value in (0, 1): add bulk HTTPS-like downloads between other hosts until FTP is about this share of the packets (0.1: a mixed capture, 10 % FTP)")
	out := fs.String("o", "", "pcap file to write (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("big: -o FILE is required")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	// BigCaptureWith buffers its writes itself.
	st, err := synth.BigCaptureWith(f, synth.BigOptions{Sessions: *sessions, Seed: *seed, FTPShare: *share})
	if err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	_, err = fmt.Fprintf(stdout, "sessions=%d passive=%d active=%d packets=%d ftp_packets=%d noise_packets=%d bulk_connections=%d bulk_packets=%d bytes=%d span=%s\n",
		st.Sessions, st.Passive, st.Active, st.Packets, st.FTPPackets, st.NoisePackets, st.BulkConnections, st.BulkPackets, st.Bytes, st.Last.Sub(st.First))
	return err
}
