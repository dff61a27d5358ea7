package capture

// FileOption changes how OpenFiles and OpenFilesFrom read.
type FileOption func(*fileOptions)

type fileOptions struct {
	filter string
}

// WithFilter makes the Source return only the packets that expr, a BPF
// filter expression in tcpdump syntax, matches; "" (or blanks) keeps them
// all. The packets it leaves out still count in Info (Packets, Bytes,
// LinkTypes, FirstSeen, LastSeen) and in frame numbers: a returned
// packet's Number stays its frame number in its file, as Wireshark shows
// it, and Info says what the file holds.
//
// The expression is compiled for each link type met, pcapng files having
// several: by package filter in the default build (the tcpdump subset it
// documents), by libpcap in a build with -tags libpcap and cgo
// (FullFilterSyntax), which reads the whole tcpdump syntax as tcpdump -r
// would. Packets of a link type the expression cannot be compiled for
// ("vlan" on Linux cooked capture) match nothing.
func WithFilter(expr string) FileOption {
	return func(o *fileOptions) { o.filter = expr }
}
