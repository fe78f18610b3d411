package odoo

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/andon-governance/andon"
)

// Limits on the input of ParseLiteral. Real manifests are a few kilobytes
// deep by a few levels; the limits only keep hostile input from exhausting
// memory or the stack.
const (
	// MaxLiteralSize is the largest source ParseLiteral reads, in bytes.
	MaxLiteralSize = 1 << 20
	// MaxLiteralDepth is how deeply containers may nest.
	MaxLiteralDepth = 200
)

// Error is a problem with an addon's file: a manifest that is not a
// Python literal, a key of the wrong type, a file that cannot be read.
type Error struct {
	// File is the path of the file as it was given or found.
	File string
	// Line and Col locate the problem, both 1-based; Col counts
	// characters, not bytes. Both are 0 when the problem has no position
	// (an unreadable file).
	Line, Col int
	// Message says what is wrong, for the person who wrote the file.
	Message string
	// Err is the underlying error of a file that could not be read, and
	// nil for a problem with the file's contents.
	Err error
}

// Error formats e as "file:line:col: message", leaving out the position
// when there is none.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, msg)
	}
	return fmt.Sprintf("%s: %s", e.File, msg)
}

// Unwrap returns the error of a file that could not be read; for a problem
// with a file's contents it returns an *andon.Error with code EINVALID
// carrying the same text, so that andon.ErrorCode treats a bad manifest as
// bad input.
func (e *Error) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return andon.Errorf(andon.EINVALID, "%s", e.Error())
}

// ParseLiteral reads src as one Python literal, the language of
// ast.literal_eval restricted to what manifests use, and returns it as Go
// values:
//
//   - a dict as map[string]any (keys must be strings; a repeated key keeps
//     its last value, as in Python);
//   - a list or tuple as []any;
//   - a str as string and a bytes literal (b'...') as []byte;
//   - an int as int64 and a float as float64;
//   - True and False as bool, None as nil.
//
// Strings may use any quoting form (single or double quotes, tripled or
// not), the prefixes r, u, b and rb/br in either case, escape sequences, and implicit concatenation of
// adjacent strings. Numbers may carry one sign, underscores between digits
// and a 0x, 0o or 0b prefix. Comments, trailing commas, line breaks inside
// brackets and backslash line continuations are allowed; so are spaces
// and tabs before the literal on the first line, which literal_eval
// strips, but not before it on a later line, nor a byte order mark,
// which Python refuses in the text Odoo gives it.
//
// Anything else is an *Error naming file, line and column: a name, a call
// such as dict(...), an operator expression such as 1+2, an f-string, a
// set literal, a complex number, \N{...} escapes, an integer outside the
// int64 range, a source larger than MaxLiteralSize or nested deeper than
// MaxLiteralDepth. ParseLiteral never panics.
func ParseLiteral(file string, src []byte) (any, error) {
	n, err := parseLiteral(file, src)
	if err != nil {
		return nil, err
	}
	return n.plain(), nil
}

// nodeKind says what a node holds.
type nodeKind int

const (
	nodeDict nodeKind = iota
	nodeList
	nodeTuple
	nodeStr
	nodeBytes
	nodeInt
	nodeFloat
	nodeBool
	nodeNone
)

// String names a kind as Python does, for messages.
func (k nodeKind) String() string {
	return [...]string{"dict", "list", "tuple", "str", "bytes", "int", "float", "bool", "None"}[k]
}

// article returns the kind's name with an indefinite article, for
// messages.
func (k nodeKind) article() string {
	switch k {
	case nodeInt:
		return "an int"
	case nodeNone:
		return "None"
	}
	return "a " + k.String()
}

// node is a parsed literal with the position of its first character, so
// that a manifest's type errors can name the line of the offending value.
type node struct {
	kind      nodeKind
	line, col int
	str       string // nodeStr
	bytes     []byte // nodeBytes
	num       int64  // nodeInt
	float     float64
	bool      bool
	keys      []*node // nodeDict: the keys, all nodeStr, in source order
	items     []*node // nodeDict: the values; nodeList, nodeTuple: the items
}

// plain returns n as the Go values ParseLiteral documents.
func (n *node) plain() any {
	switch n.kind {
	case nodeDict:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k.str] = n.items[i].plain()
		}
		return m
	case nodeList, nodeTuple:
		s := make([]any, len(n.items))
		for i, it := range n.items {
			s[i] = it.plain()
		}
		return s
	case nodeStr:
		return n.str
	case nodeBytes:
		return n.bytes
	case nodeInt:
		return n.num
	case nodeFloat:
		return n.float
	case nodeBool:
		return n.bool
	}
	return nil
}

// truth returns n's truth as Python reads it, for a bool, None or a
// number; ok is false for a string, bytes or a container.
func (n *node) truth() (truth, ok bool) {
	switch n.kind {
	case nodeBool:
		return n.bool, true
	case nodeNone:
		return false, true
	case nodeInt:
		return n.num != 0, true
	case nodeFloat:
		return n.float != 0, true
	}
	return false, false
}

// parseLiteral parses src into a node tree.
func parseLiteral(file string, src []byte) (*node, error) {
	if len(src) > MaxLiteralSize {
		return nil, &Error{File: file, Line: 1, Col: 1, Message: fmt.Sprintf("file is %d bytes, larger than the %d a manifest may have", len(src), MaxLiteralSize)}
	}
	p := &parser{lx: lexer{file: file, src: src, line: 1, col: 1}}
	if err := p.lx.checkUTF8(); err != nil {
		return nil, err
	}
	// Odoo reads a manifest as UTF-8 text and hands it to
	// ast.literal_eval, which refuses the character a byte order mark
	// decodes to: Odoo cannot load such a manifest.
	if strings.HasPrefix(string(src), "\uFEFF") {
		return nil, &Error{File: file, Line: 1, Col: 1, Message: "the file starts with a byte order mark (U+FEFF), which Odoo's ast.literal_eval refuses: save it as UTF-8 without one"}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, p.errAt(p.tok, "empty file: want a Python literal such as a dict")
	}
	// ast.literal_eval strips the spaces and tabs before the first line
	// only: a literal that starts indented on a later line, after a
	// comment or a blank line, is an IndentationError. A form feed sets
	// the indentation back to none, as in Python's tokenizer.
	if p.tok.line > 1 {
		indent := 0
		for i := p.tok.off - 1; i >= 0 && src[i] != '\n' && src[i] != '\r'; i-- {
			if src[i] == '\f' {
				break
			}
			indent++
		}
		if indent > 0 {
			return nil, p.errAt(p.tok, "unexpected indent: the literal starts after spaces or tabs on a line after the first, which Python refuses (IndentationError): start it at the beginning of its line")
		}
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected("after the literal")
	}
	return n, nil
}

// tokKind classifies tokens.
type tokKind int

const (
	tokEOF tokKind = iota
	tokPunct
	tokString
	tokNumber
	tokName
)

// token is one lexical token and where it starts.
type token struct {
	kind      tokKind
	line, col int
	// newline is set when a line break separates the token from the one
	// before; outside brackets Python ends the expression there.
	newline bool
	off     int    // the offset of the token's first byte in the source
	punct   byte   // tokPunct
	text    string // tokName: the name; tokNumber: the source text
	str     string // tokString: the decoded text
	bytes   bool   // tokString: a bytes literal, its bytes in str
	isFloat bool   // tokNumber
	mag     uint64 // tokNumber, an int: its magnitude
	float   float64
}

// describe names t for messages.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokPunct:
		return fmt.Sprintf("%q", string(t.punct))
	case tokString:
		return "string"
	case tokNumber:
		return "number " + t.text
	}
	return "name " + t.text
}

// parser is a recursive-descent parser over the lexer's tokens.
type parser struct {
	lx    lexer
	tok   token // the current token
	depth int   // how many brackets enclose the current token
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errAt(t token, msg string) *Error {
	return &Error{File: p.lx.file, Line: t.line, Col: t.col, Message: msg}
}

// value parses one literal starting at the current token.
func (p *parser) value() (*node, error) {
	t := p.tok
	switch t.kind {
	case tokEOF:
		return nil, p.errAt(t, "unexpected end of file: want a value")
	case tokString:
		return p.strings()
	case tokNumber:
		return p.number(t, false)
	case tokName:
		return p.name()
	}
	switch t.punct {
	case '{', '[', '(':
		if p.depth >= MaxLiteralDepth {
			return nil, p.errAt(t, fmt.Sprintf("containers nested deeper than %d levels", MaxLiteralDepth))
		}
		p.depth++
		var n *node
		var err error
		switch t.punct {
		case '{':
			n, err = p.dict()
		case '[':
			n, err = p.sequence(nodeList, ']')
		default:
			n, err = p.sequence(nodeTuple, ')')
		}
		p.depth--
		if err != nil {
			return nil, err
		}
		// The closing bracket is consumed only now, with the depth back
		// to that of the opening one.
		return n, p.advance()
	case '-', '+':
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tokNumber || (p.depth == 0 && p.tok.newline) {
			return nil, p.errAt(t, fmt.Sprintf("%q must be followed by a number: operators are not literals", string(t.punct)))
		}
		return p.number(p.tok, t.punct == '-')
	}
	return nil, p.errAt(t, fmt.Sprintf("unexpected %s: want a value", t.describe()))
}

// strings parses one string or several adjacent ones, which Python
// concatenates.
func (p *parser) strings() (*node, error) {
	first := p.tok
	var b strings.Builder
	b.WriteString(first.str)
	for {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t := p.tok
		if t.kind != tokString || (p.depth == 0 && t.newline) {
			break
		}
		if t.bytes != first.bytes {
			return nil, p.errAt(t, "cannot mix bytes and str literals")
		}
		if b.Len()+len(t.str) > MaxLiteralSize {
			return nil, p.errAt(t, "string too long")
		}
		b.WriteString(t.str)
	}
	n := &node{kind: nodeStr, line: first.line, col: first.col, str: b.String()}
	if first.bytes {
		n.kind, n.str, n.bytes = nodeBytes, "", []byte(b.String())
	}
	return n, nil
}

// number converts a number token, negated when neg is set, and moves past
// it.
func (p *parser) number(t token, neg bool) (*node, error) {
	n := &node{kind: nodeInt, line: t.line, col: t.col}
	switch {
	case t.isFloat:
		n.kind, n.float = nodeFloat, t.float
		if neg {
			n.float = -n.float
		}
	case neg && t.mag == 1<<63:
		n.num = math.MinInt64
	case t.mag > math.MaxInt64:
		return nil, p.errAt(t, fmt.Sprintf("integer %s does not fit in 64 bits", t.text))
	case neg:
		n.num = -int64(t.mag)
	default:
		n.num = int64(t.mag)
	}
	return n, p.advance()
}

// name turns True, False and None into values and every other name into a
// precise error.
func (p *parser) name() (*node, error) {
	t := p.tok
	n := &node{line: t.line, col: t.col}
	switch t.text {
	case "True", "False":
		n.kind, n.bool = nodeBool, t.text == "True"
	case "None":
		n.kind = nodeNone
	default:
		if err := p.advance(); err == nil && p.tok.kind == tokPunct && p.tok.punct == '(' {
			return nil, p.errAt(t, fmt.Sprintf("call of %s(...) is not a literal", t.text))
		}
		return nil, p.errAt(t, fmt.Sprintf("name %s is not a literal: want a string, number, True, False, None, dict, list or tuple", t.text))
	}
	return n, p.advance()
}

// dict parses the inside of {...}; the current token is "{".
func (p *parser) dict() (*node, error) {
	open := p.tok
	n := &node{kind: nodeDict, line: open.line, col: open.col}
	if err := p.advance(); err != nil {
		return nil, err
	}
	for !p.closes('}') {
		if p.tok.kind == tokPunct && p.tok.punct == '*' {
			return nil, p.errAt(p.tok, "unpacking (**) is not a literal")
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		if !p.closes(':') {
			if p.closes(',') || p.closes('}') {
				return nil, p.errAt(open, "set literals are not supported: want a dict of key: value pairs")
			}
			return nil, p.unexpected("want \":\" after a dict key")
		}
		if k.kind != nodeStr {
			return nil, &Error{File: p.lx.file, Line: k.line, Col: k.col, Message: fmt.Sprintf("dict key is %s: keys must be strings", k.kind.article())}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, k)
		n.items = append(n.items, v)
		if !p.closes(',') {
			if p.closes('}') {
				break
			}
			return nil, p.unexpected("want \",\" or \"}\" after a dict value")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// sequence parses the inside of [...] or (...); the current token is the
// opening bracket. A parenthesised single value without a comma is that
// value, not a tuple, as in Python.
func (p *parser) sequence(kind nodeKind, end byte) (*node, error) {
	open := p.tok
	n := &node{kind: kind, line: open.line, col: open.col}
	if err := p.advance(); err != nil {
		return nil, err
	}
	comma := false
	for !p.closes(end) {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
		if !p.closes(',') {
			if p.closes(end) {
				break
			}
			if p.tok.kind == tokName && p.tok.text == "for" {
				return nil, p.errAt(p.tok, "comprehensions are not literals")
			}
			if p.closes(':') {
				// Most likely the bracket was not closed on the line of
				// the previous key, and this is the next key's colon.
				return nil, p.unexpected(fmt.Sprintf("want \",\" or %q (is a %q missing before it?)", string(end), string(end)))
			}
			return nil, p.unexpected(fmt.Sprintf("want \",\" or %q", string(end)))
		}
		comma = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if kind == nodeTuple && len(n.items) == 1 && !comma {
		return n.items[0], nil
	}
	return n, nil
}

// unexpected returns the error for the current token, which does not fit
// where it stands, with what was wanted instead.
func (p *parser) unexpected(want string) *Error {
	t := p.tok
	sep := ": "
	if strings.HasPrefix(want, "after") {
		sep = " "
	}
	msg := "unexpected " + t.describe() + sep + want
	switch {
	case t.kind == tokPunct && strings.IndexByte("+-*", t.punct) >= 0:
		msg += " (operators are not literals)"
	case t.kind == tokEOF:
		msg += " (a bracket is not closed)"
	}
	return p.errAt(t, msg)
}

// closes reports whether the current token is the punctuation c.
func (p *parser) closes(c byte) bool {
	return p.tok.kind == tokPunct && p.tok.punct == c
}

// lexer splits a source into tokens, tracking line and column.
type lexer struct {
	file      string
	src       []byte
	off       int
	line, col int
}

func (lx *lexer) errAt(line, col int, msg string) *Error {
	return &Error{File: lx.file, Line: line, Col: col, Message: msg}
}

// checkUTF8 rejects a source that is not UTF-8, as Python does, naming the
// first bad byte.
func (lx *lexer) checkUTF8() error {
	line, col := 1, 1
	for i := 0; i < len(lx.src); {
		r, size := utf8.DecodeRune(lx.src[i:])
		if r == utf8.RuneError && size <= 1 {
			return lx.errAt(line, col, fmt.Sprintf("byte 0x%02x is not UTF-8: manifests must be UTF-8 text", lx.src[i]))
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
}

// peek returns the rune at the current offset and its size, or -1 at the
// end of the source.
func (lx *lexer) peek() (rune, int) {
	return lx.peekAt(0)
}

// peekAt returns the rune starting k bytes after the current offset.
func (lx *lexer) peekAt(k int) (rune, int) {
	if lx.off+k >= len(lx.src) {
		return -1, 0
	}
	if c := lx.src[lx.off+k]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRune(lx.src[lx.off+k:])
}

// bump moves past one rune, counting lines. A "\r\n" pair is one line
// break, and a lone "\r" is one too, as with Python's universal newlines.
func (lx *lexer) bump() rune {
	r, size := lx.peek()
	lx.off += size
	switch r {
	case '\r':
		if n, _ := lx.peek(); n == '\n' {
			lx.off++
		}
		r = '\n'
		fallthrough
	case '\n':
		lx.line, lx.col = lx.line+1, 1
	default:
		lx.col++
	}
	return r
}

// next returns the next token, skipping white space, comments and
// backslash line continuations.
func (lx *lexer) next() (token, error) {
	newline := false
	for {
		r, _ := lx.peek()
		switch {
		case r == ' ' || r == '\t' || r == '\f':
			lx.bump()
			continue
		case r == '\n' || r == '\r':
			lx.bump()
			newline = true
			continue
		case r == '#':
			for r, _ := lx.peek(); r != -1 && r != '\n' && r != '\r'; r, _ = lx.peek() {
				lx.bump()
			}
			continue
		case r == '\\':
			if n, _ := lx.peekAt(1); n == '\n' || n == '\r' {
				lx.bump()
				lx.bump()
				continue
			}
			return token{}, lx.errAt(lx.line, lx.col, "unexpected \\ outside a string")
		}
		break
	}
	t := token{line: lx.line, col: lx.col, newline: newline, off: lx.off}
	r, _ := lx.peek()
	switch {
	case r == -1:
		t.kind = tokEOF
		return t, nil
	case r == '\'' || r == '"':
		return lx.string(t, "")
	case r >= '0' && r <= '9':
		return lx.number(t)
	case r == '.':
		if n, _ := lx.peekAt(1); n >= '0' && n <= '9' {
			return lx.number(t)
		}
	case isIdentStart(r):
		start := lx.off
		for r, _ := lx.peek(); isIdentPart(r); r, _ = lx.peek() {
			lx.bump()
		}
		name := string(lx.src[start:lx.off])
		if q, _ := lx.peek(); q == '\'' || q == '"' {
			if isStringPrefix(name) {
				return lx.string(t, strings.ToLower(name))
			}
			if strings.ContainsAny(name, "fFtT") && isStringPrefix(strings.Map(dropFT, name)) {
				return token{}, lx.errAt(t.line, t.col, "f-strings are not literals")
			}
			return token{}, lx.errAt(t.line, t.col, fmt.Sprintf("%q is not a string prefix", name))
		}
		t.kind, t.text = tokName, name
		return t, nil
	}
	lx.bump()
	if r < utf8.RuneSelf && strings.ContainsRune("{}[](),:-+*", r) {
		t.kind, t.punct = tokPunct, byte(r)
		return t, nil
	}
	if r < utf8.RuneSelf && strings.ContainsRune("=.;<>!%&|^~/@`?$", r) {
		return token{}, lx.errAt(t.line, t.col, fmt.Sprintf("unexpected %q: expressions and statements are not literals", string(r)))
	}
	return token{}, lx.errAt(t.line, t.col, fmt.Sprintf("unexpected character %q", r))
}

// dropFT removes f and t from a prefix, to recognise f-string prefixes
// such as rf by what remains.
func dropFT(r rune) rune {
	switch r {
	case 'f', 'F', 't', 'T':
		return -1
	}
	return r
}

// isStringPrefix reports whether name, in any case, is a prefix Python
// allows before a string literal other than an f-string.
func isStringPrefix(name string) bool {
	switch strings.ToLower(name) {
	case "", "r", "u", "b", "br", "rb":
		return true
	}
	return false
}

func isIdentStart(r rune) bool {
	return r == '_' || unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// string reads a string literal whose prefix (lower case) has already been
// consumed; the current rune is its opening quote.
func (lx *lexer) string(t token, prefix string) (token, error) {
	raw := strings.Contains(prefix, "r")
	t.kind, t.bytes = tokString, strings.Contains(prefix, "b")
	q := lx.bump()
	triple := false
	if a, _ := lx.peek(); a == q {
		if b, _ := lx.peekAt(1); b == q {
			lx.bump()
			lx.bump()
			triple = true
		} else {
			lx.bump() // an empty string
			return t, nil
		}
	}
	var b strings.Builder
	for {
		r, _ := lx.peek()
		switch {
		case r == -1:
			return token{}, lx.errAt(t.line, t.col, "unterminated string: the file ends inside it")
		case (r == '\n' || r == '\r') && !triple:
			return token{}, lx.errAt(t.line, t.col, "unterminated string: a line break inside a quoted string needs ''' or \"\"\"")
		case r == q:
			if !triple {
				lx.bump()
				t.str = b.String()
				return t, nil
			}
			if a, _ := lx.peekAt(1); a == q {
				if c, _ := lx.peekAt(2); c == q {
					lx.bump()
					lx.bump()
					lx.bump()
					t.str = b.String()
					return t, nil
				}
			}
			b.WriteRune(lx.bump())
		case r == '\\':
			line, col := lx.line, lx.col
			lx.bump()
			if raw {
				// A raw string keeps the backslash and the character after
				// it, which therefore cannot end the string.
				b.WriteByte('\\')
				if n, _ := lx.peek(); n != -1 {
					if t.bytes && n >= utf8.RuneSelf {
						return token{}, lx.errAt(lx.line, lx.col, "bytes literals may hold only ASCII characters")
					}
					b.WriteRune(lx.bump())
				}
				continue
			}
			if err := lx.escape(&b, t.bytes, line, col); err != nil {
				return token{}, err
			}
		default:
			if t.bytes && r >= utf8.RuneSelf {
				return token{}, lx.errAt(lx.line, lx.col, "bytes literals may hold only ASCII characters")
			}
			b.WriteRune(lx.bump())
		}
	}
}

// escape decodes the escape sequence after a backslash, which starts at
// line:col, into b.
func (lx *lexer) escape(b *strings.Builder, isBytes bool, line, col int) error {
	r, _ := lx.peek()
	if c, ok := simpleEscapes[r]; ok {
		lx.bump()
		b.WriteByte(c)
		return nil
	}
	switch {
	case r == -1:
		return lx.errAt(line, col, "unterminated string: the file ends inside it")
	case r == '\n' || r == '\r':
		lx.bump() // a backslash before a line break joins the lines
		return nil
	case r >= '0' && r <= '7':
		v := 0
		for i := 0; i < 3; i++ {
			d, _ := lx.peek()
			if d < '0' || d > '7' {
				break
			}
			v = v*8 + int(d-'0')
			lx.bump()
		}
		if isBytes {
			if v > 0xff {
				return lx.errAt(line, col, fmt.Sprintf("octal escape \\%o is larger than a byte", v))
			}
			b.WriteByte(byte(v))
		} else {
			b.WriteRune(rune(v))
		}
		return nil
	case r == 'x' || (!isBytes && (r == 'u' || r == 'U')):
		lx.bump()
		width := escapeWidths[r]
		v := 0
		for i := 0; i < width; i++ {
			d, _ := lx.peek()
			h := hexDigit(d)
			if h < 0 {
				return lx.errAt(line, col, fmt.Sprintf("truncated \\%c escape: want %d hexadecimal digits", r, width))
			}
			v = v*16 + h
			lx.bump()
		}
		switch {
		case isBytes:
			b.WriteByte(byte(v))
		case v > unicode.MaxRune:
			return lx.errAt(line, col, fmt.Sprintf("escape \\%c%0*x is beyond the last Unicode character", r, width, v))
		case v >= 0xd800 && v <= 0xdfff:
			return lx.errAt(line, col, fmt.Sprintf("escape \\%c%0*x is a lone surrogate, which UTF-8 cannot hold", r, width, v))
		default:
			b.WriteRune(rune(v))
		}
		return nil
	case r == 'N' && !isBytes:
		return lx.errAt(line, col, "\\N{...} escapes are not supported: write the character itself")
	}
	// Python keeps an unknown escape as written, backslash included.
	b.WriteByte('\\')
	if isBytes && r >= utf8.RuneSelf {
		return lx.errAt(lx.line, lx.col, "bytes literals may hold only ASCII characters")
	}
	b.WriteRune(lx.bump())
	return nil
}

// simpleEscapes maps the letter after a backslash to the byte it stands
// for.
var simpleEscapes = map[rune]byte{'\\': '\\', '\'': '\'', '"': '"', 'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}

// escapeWidths gives the number of hexadecimal digits after \x, \u and \U.
var escapeWidths = map[rune]int{'x': 2, 'u': 4, 'U': 8}

// hexDigit returns the value of r as a hexadecimal digit, or -1.
func hexDigit(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}

// number reads an int or float literal.
func (lx *lexer) number(t token) (token, error) {
	start := lx.off
	bad := func(msg string) (token, error) {
		return token{}, lx.errAt(t.line, t.col, msg)
	}
	t.kind = tokNumber
	base := 10
	if r, _ := lx.peek(); r == '0' {
		switch n, _ := lx.peekAt(1); n {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
	}
	var digits strings.Builder // the number without underscores or prefix
	if base != 10 {
		lx.bump()
		lx.bump()
		if !lx.digits(&digits, base, true) {
			return bad(fmt.Sprintf("invalid number %s", lx.numberText(start)))
		}
	} else {
		intPart := lx.digits(&digits, 10, false)
		if r, _ := lx.peek(); r == '.' {
			t.isFloat = true
			digits.WriteRune(lx.bump())
			if d, _ := lx.peek(); d >= '0' && d <= '9' && !lx.digits(&digits, 10, false) {
				return bad(fmt.Sprintf("invalid number %s", lx.numberText(start)))
			}
		} else if !intPart {
			return bad(fmt.Sprintf("invalid number %s", lx.numberText(start)))
		}
		if r, _ := lx.peek(); r == 'e' || r == 'E' {
			t.isFloat = true
			digits.WriteRune(lx.bump())
			if s, _ := lx.peek(); s == '+' || s == '-' {
				digits.WriteRune(lx.bump())
			}
			if !lx.digits(&digits, 10, false) {
				return bad(fmt.Sprintf("invalid number %s: the exponent has no digits", lx.numberText(start)))
			}
		}
		if r, _ := lx.peek(); r == 'j' || r == 'J' {
			lx.bump()
			return bad(fmt.Sprintf("complex number %s is not supported", lx.numberText(start)))
		}
	}
	t.text = string(lx.src[start:lx.off])
	if r, _ := lx.peek(); isIdentPart(r) || r == '.' {
		lx.bump()
		return bad(fmt.Sprintf("invalid number %s", lx.numberText(start)))
	}
	d := digits.String()
	if t.isFloat {
		// A float too large for 64 bits is infinity, as in Python, and
		// ParseFloat returns it with ErrRange.
		f, err := strconv.ParseFloat(d, 64)
		if errors.Is(err, strconv.ErrSyntax) {
			return bad(fmt.Sprintf("invalid number %s", t.text))
		}
		t.float = f
		return t, nil
	}
	if base == 10 && len(d) > 1 && d[0] == '0' && strings.Trim(d, "0") != "" {
		return bad(fmt.Sprintf("invalid number %s: leading zeros are not allowed; write 0o for octal", t.text))
	}
	mag, err := strconv.ParseUint(d, base, 64)
	if err != nil {
		return bad(fmt.Sprintf("integer %s does not fit in 64 bits", t.text))
	}
	t.mag = mag
	return t, nil
}

// digits reads digits of base into b, allowing an underscore between two
// digits (and, after a base prefix such as 0x, before the first), and
// reports whether it read at least one digit. An underscore that does not
// precede a digit is left unread, for the caller to report.
func (lx *lexer) digits(b *strings.Builder, base int, afterPrefix bool) bool {
	n := 0
	for {
		r, _ := lx.peek()
		if r == '_' && (n > 0 || afterPrefix) {
			next, _ := lx.peekAt(1)
			if h := hexDigit(next); h < 0 || h >= base {
				return n > 0
			}
			lx.bump()
			continue
		}
		// A letter that is not a digit of base, such as the e of 1e5,
		// is for the caller.
		if h := hexDigit(r); h < 0 || h >= base {
			return n > 0
		}
		b.WriteRune(lx.bump())
		n++
	}
}

// numberText returns the source of a malformed number from start to the
// end of the word it stands in, for messages.
func (lx *lexer) numberText(start int) string {
	end := lx.off
	for end < len(lx.src) {
		r, size := utf8.DecodeRune(lx.src[end:])
		if !isIdentPart(r) && r != '.' {
			break
		}
		end += size
	}
	if end-start > 40 {
		end = start + 40
		for !utf8.RuneStart(lx.src[end]) {
			end--
		}
		return string(lx.src[start:end]) + "..."
	}
	return string(lx.src[start:end])
}
