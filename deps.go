//go:build deps

// This file only pins modules that packages of this project will import,
// so that go.mod is settled before they do. It is never built.
package ftpscope

import (
	_ "github.com/creack/pty"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/gopacket/gopacket/afpacket"
	_ "github.com/gopacket/gopacket/pcapgo"
	_ "github.com/gopacket/gopacket/reassembly"
	_ "github.com/mattn/go-runewidth"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/cobra/doc"
	_ "github.com/spf13/pflag"
	_ "golang.org/x/net/bpf"
	_ "golang.org/x/term"
)
