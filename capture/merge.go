package capture

import (
	"errors"
	"io"
	"slices"
)

// fileSource reads one or more files as one timeline.
//
// It keeps a min-heap of the files that still have a packet, each holding
// the packet it read last. The root's packet is the one Next returns; that
// file is advanced only on the following call to Next. So a returned
// packet's bytes stay in its reader's own buffer, which no other file's
// read touches, and no packet is copied.
type fileSource struct {
	files   []*file
	keep    func(Packet) bool // the filter; nil: every packet
	heap    []int             // indexes into files, ordered by less
	started bool              // the heap has been filled
	advance bool              // the root's packet was returned: read its next one first
	closed  bool
}

var (
	_ Source     = (*fileSource)(nil)
	_ Progresser = (*fileSource)(nil)
)

func newFileSource(files []*file) *fileSource {
	return &fileSource{files: files, heap: make([]int, 0, len(files))}
}

// Next returns the packet with the earliest timestamp among the packets
// each file has next; equal timestamps come in the order the files were
// given. A file's packets come in file order. Of these, it returns the
// ones the filter matches: filtering after the merge keeps the order of
// the packets it returns what it is without a filter, also for files whose
// timestamps go backwards.
func (s *fileSource) Next() (Packet, error) {
	for {
		p, err := s.merged()
		if err != nil || s.keep == nil || s.keep(p) {
			return p, err
		}
	}
}

// merged returns the next packet of the merged timeline, filtered or not.
func (s *fileSource) merged() (Packet, error) {
	if s.closed {
		return Packet{}, io.EOF
	}
	if !s.started {
		s.started = true
		for i, f := range s.files {
			f.pending.Source = i
			if f.next() {
				s.heap = append(s.heap, i)
				s.up(len(s.heap) - 1)
			}
		}
	} else if s.advance && len(s.heap) > 0 {
		if !s.files[s.heap[0]].next() {
			last := len(s.heap) - 1
			s.heap[0] = s.heap[last]
			s.heap = s.heap[:last]
		}
		s.down(0)
	}
	if len(s.heap) == 0 {
		s.advance = false
		return Packet{}, io.EOF
	}
	s.advance = true
	return s.files[s.heap[0]].pending, nil
}

// less orders files by their pending packet's timestamp, then by their
// position on the command line.
func (s *fileSource) less(a, b int) bool {
	fa, fb := s.files[s.heap[a]], s.files[s.heap[b]]
	if c := fa.pending.Info.Timestamp.Compare(fb.pending.Info.Timestamp); c != 0 {
		return c < 0
	}
	return s.heap[a] < s.heap[b]
}

func (s *fileSource) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !s.less(i, parent) {
			return
		}
		s.heap[i], s.heap[parent] = s.heap[parent], s.heap[i]
		i = parent
	}
}

func (s *fileSource) down(i int) {
	n := len(s.heap)
	for {
		least := i
		if l := 2*i + 1; l < n && s.less(l, least) {
			least = l
		}
		if r := 2*i + 2; r < n && s.less(r, least) {
			least = r
		}
		if least == i {
			return
		}
		s.heap[i], s.heap[least] = s.heap[least], s.heap[i]
		i = least
	}
}

// Infos returns a copy of what is known of each file so far.
func (s *fileSource) Infos() []Info {
	infos := make([]Info, len(s.files))
	for i, f := range s.files {
		infos[i] = f.info
		infos[i].LinkTypes = slices.Clone(f.info.LinkTypes)
		infos[i].Errors = slices.Clone(f.info.Errors)
	}
	return infos
}

// Progress returns the bytes read from all files and the sum of their
// sizes, -1 when one size is unknown. A file that ended, at its end or at
// damage, counts as read whole.
func (s *fileSource) Progress() (read, total int64) {
	for _, f := range s.files {
		read += f.progress()
		if f.size < 0 || total < 0 {
			total = -1
		} else {
			total += f.size
		}
	}
	return read, total
}

// Close closes every file. Next returns io.EOF afterwards.
func (s *fileSource) Close() error {
	s.closed = true
	var errs []error
	for _, f := range s.files {
		if err := f.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
