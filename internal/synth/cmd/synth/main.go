// Command synth writes every synthetic FTP capture of package synth, with
// SCENARIOS.md, into a directory:
//
//	go run ./internal/synth/cmd/synth -out testdata
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ftpscope/ftpscope/internal/synth"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	out := fs.String("out", "testdata", "directory to write the captures into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := synth.WriteAll(*out); err != nil {
		return err
	}
	fmt.Printf("wrote %d captures and %s to %s\n", len(synth.Scenarios()), synth.IndexFile, *out)
	return nil
}
