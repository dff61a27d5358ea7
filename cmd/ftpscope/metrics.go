package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/metrics"
)

// serveMetrics serves the Prometheus metrics of the analysis at
// http://addr/metrics (--metrics) and returns them, to be handed to the
// pipeline, and a function that stops the server. infos reports the
// capture's sockets, with their kernel drops.
func serveMetrics(addr string, infos func() []capture.Info, stderr io.Writer) (*metrics.Metrics, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics: %w", err)
	}
	m := metrics.New(infos)
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "ftpscope: --metrics: %v\n", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	}
	return m, stop, nil
}
