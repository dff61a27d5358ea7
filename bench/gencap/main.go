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
		fmt.Fprintln(os.Stderr, "gencap:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("gencap", flag.ContinueOnError)
	sessions := fs.Int("sessions", 20000, "number of FTP sessions")
	seed := fs.Uint64("seed", 1, "seed of the random choices (timing, file sizes)")
	share := fs.Float64("ftp-share", 0, "with a value in (0, 1): add bulk HTTPS-like downloads between other hosts until FTP is about this share of the packets (0.1: a mixed capture, 10 % FTP)")
	out := fs.String("o", "", "pcap file to write (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-o FILE is required")
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
	// BigCapture buffers its writes itself.
	st, err := synth.BigCaptureWith(f, synth.BigOptions{Sessions: *sessions, Seed: *seed, FTPShare: *share})
	if err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	_, err = fmt.Fprintf(stdout, "sessions=%d passive=%d active=%d packets=%d ftp_packets=%d noise_packets=%d bulk_connections=%d bulk_packets=%d bytes=%d span=%s\n",
		st.Sessions, st.Passive, st.Active, st.Packets, st.FTPPackets, st.NoisePackets, st.BulkConnections, st.BulkPackets, st.Bytes, st.Last.Sub(st.First))
	return err
}
