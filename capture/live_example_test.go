package capture_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/ftpscope/ftpscope/capture"
)

// ExampleOpenLive captures FTP control traffic on every interface until
// Ctrl-C, then reports what was seen.
func ExampleOpenLive() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	src, err := capture.OpenLive(ctx, capture.LiveOptions{
		Interface: capture.AnyInterface,
		Filter:    "tcp port 21",
	})
	switch {
	case errors.Is(err, capture.ErrPermission), errors.Is(err, capture.ErrNoInterface):
		fmt.Println(err) // the message says what to do
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	defer src.Close()

	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break // Ctrl-C, or the interface went away
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		_ = p // decode p.Data as p.LinkType (raw IP on "any") here
	}
	info := src.Infos()[0]
	fmt.Printf("%s: %d packets, %d dropped by the kernel\n", info.Name, info.Packets, info.Dropped)
}
