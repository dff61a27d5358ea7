package filter

import (
	"errors"
	"fmt"
)

// ErrUnsupported is wrapped by every Error about a part of the tcpdump
// syntax that this build does not implement (byte offsets, link-layer
// addresses, host names, ...). The libpcap build of ftpscope compiles those.
var ErrUnsupported = errors.New("filter: not supported by this build")

// Error describes an expression that could not be parsed or compiled. It
// quotes the expression and says where in it the problem is.
type Error struct {
	// Expr is the whole expression as given to Parse.
	Expr string
	// Offset is the byte offset in Expr of the offending part; it equals
	// len(Expr) when the expression ended too early.
	Offset int
	// Near is the offending part of the expression, empty at its end.
	Near string
	// Msg says what is wrong.
	Msg string
	// Unsupported is set when Near is valid tcpdump syntax that this
	// build does not implement; the error then wraps ErrUnsupported.
	Unsupported bool
}

// Error implements error. It reads, for example:
//
//	filter: "tcp[13] & 2 != 0" at column 1: "tcp[13]" is not supported by this build (byte offsets); build with -tags libpcap for the full tcpdump syntax
func (e *Error) Error() string {
	where := fmt.Sprintf("at column %d", e.Offset+1)
	if e.Offset >= len(e.Expr) {
		where = "at its end"
	}
	if e.Unsupported {
		return fmt.Sprintf("filter: %q %s: %q is not supported by this build (%s); build with -tags libpcap for the full tcpdump syntax",
			e.Expr, where, e.Near, e.Msg)
	}
	if e.Near != "" {
		return fmt.Sprintf("filter: %q %s near %q: %s", e.Expr, where, e.Near, e.Msg)
	}
	return fmt.Sprintf("filter: %q %s: %s", e.Expr, where, e.Msg)
}

// Unwrap returns ErrUnsupported for an unsupported part, nil otherwise.
func (e *Error) Unwrap() error {
	if e.Unsupported {
		return ErrUnsupported
	}
	return nil
}
