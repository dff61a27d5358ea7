package filter

import "strings"

// Filter is a parsed filter expression. It is immutable and safe for
// concurrent use; a Matcher made from it is not.
type Filter struct {
	expr string
	root *node
}

// Parse parses a filter expression in the tcpdump syntax subset described
// in the package documentation.
//
// An empty (or all-blank) expression returns (nil, nil): a nil *Filter
// matches every packet, its String is "", and its Compile returns a program
// that accepts everything.
//
// Errors are of type *Error; those about valid tcpdump syntax outside the
// subset wrap ErrUnsupported.
func Parse(expr string) (*Filter, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{src: expr, toks: toks}
	root, _, err := p.expr(qNone)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.syntax(t)
	}
	return &Filter{expr: expr, root: root}, nil
}

// String returns the expression in a canonical form: every primitive with
// its qualifiers spelled out, and parentheses where and and or mix. Parse
// reads it back to a filter that compiles to the same program.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.root.String()
}
