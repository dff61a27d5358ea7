package capture

import (
	"io"
	"sync/atomic"
)

// Progresser is implemented by sources that know how far through their
// input they are, such as the Source OpenFiles returns.
type Progresser interface {
	// Progress returns the bytes read so far from the inputs as stored
	// (compressed, for a gzip file) and their total size, -1 when unknown
	// (standard input from a pipe). It may be called from another
	// goroutine while Next runs.
	Progress() (read, total int64)
}

// countReader counts the bytes read through it and remembers the first
// error other than io.EOF, so that damage can be told apart from the end
// of a stream and placed.
type countReader struct {
	r   io.Reader
	n   atomic.Int64 // read by Progress from other goroutines
	err error        // first error other than io.EOF
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}
