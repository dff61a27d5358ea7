package decode_test

import (
	"errors"
	"fmt"

	"github.com/ftpscope/ftpscope/decode"
)

func ExampleParseCommand() {
	for _, line := range []string{"RETR file.bin\r\n", "epsv all\r\n", "\x16\x03\x01\x02\x00"} {
		cmd, err := decode.ParseCommand([]byte(line))
		if errors.Is(err, decode.ErrNotCommand) {
			fmt.Println("not a command (encrypted after AUTH TLS?)")
			continue
		}
		fmt.Printf("%s %q transfer=%v\n", cmd.Verb, cmd.Arg, decode.IsTransferVerb(cmd.Verb))
	}
	// Output:
	// RETR "file.bin" transfer=true
	// EPSV "all" transfer=false
	// not a command (encrypted after AUTH TLS?)
}

func ExampleParse227() {
	for _, text := range []string{
		"Entering Passive Mode (192,168,1,10,195,80).",
		"Entering Passive Mode 192,168,1,10,195,80",
		"Entering Passive Mode (192,168,1,300,195,80).",
	} {
		ap, err := decode.Parse227(text)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(ap)
	}
	// Output:
	// 192.168.1.10:50000
	// 192.168.1.10:50000
	// decode.Parse227: parsing "Entering Passive Mode (192,168,1,300,195,80)." at offset 23: decode: number out of range
}

func ExampleParseEPRT() {
	for _, arg := range []string{"|1|132.235.1.2|6275|", "|2|1080::8:800:200C:417A|5282|", "|3|x|1|"} {
		ap, err := decode.ParseEPRT(arg)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(ap)
	}
	// Output:
	// 132.235.1.2:6275
	// [1080::8:800:200c:417a]:5282
	// decode.ParseEPRT: parsing "|3|x|1|" at offset 1: decode: unsupported address family
}

func ExampleReplyAssembler() {
	var a decode.ReplyAssembler
	for _, line := range []string{"211-Features:\r\n", " EPSV\r\n", " MDTM\r\n", "211 End\r\n"} {
		r, done, err := a.Feed([]byte(line))
		if err != nil {
			fmt.Println(err)
			continue
		}
		if done {
			fmt.Printf("%d %q\n", r.Code, r.Text())
		}
	}
	// Output:
	// 211 "Features:\n EPSV\n MDTM\nEnd"
}
