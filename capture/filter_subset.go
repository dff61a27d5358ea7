//go:build !(libpcap && cgo)

package capture

import (
	"github.com/ftpscope/ftpscope/filter"
)

// FullFilterSyntax tells whether this build compiles filters with libpcap,
// reading the whole tcpdump filter syntax, rather than with package
// filter, which reads the subset people use with FTP.
const FullFilterSyntax = false

// fileFilter returns what applies expr to the packets of files, or nil
// when expr is blank: package filter's programs, run on x/net/bpf's
// machine. An expression package filter cannot parse is an error of type
// *filter.Error.
func fileFilter(expr string) (func(Packet) bool, error) {
	f, err := filter.Parse(expr)
	if err != nil || f == nil {
		return nil, err
	}
	m := f.NewMatcher()
	return func(p Packet) bool { return m.Match(p.Data, p.LinkType) }, nil
}
