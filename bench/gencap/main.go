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
	st, err := synth.BigCapture(f, *sessions, *seed)
	if err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	_, err = fmt.Fprintf(stdout, "sessions=%d passive=%d active=%d packets=%d ftp_packets=%d noise_packets=%d bytes=%d span=%s\n",
		st.Sessions, st.Passive, st.Active, st.Packets, st.FTPPackets, st.NoisePackets, st.Bytes, st.Last.Sub(st.First))
	return err
}
