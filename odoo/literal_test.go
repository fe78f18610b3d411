package odoo_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/odoo"
)

func TestParseLiteral(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want any
	}{
		{"empty dict", `{}`, map[string]any{}},
		{"dict", `{'a': 1, "b": 'x'}`, map[string]any{"a": int64(1), "b": "x"}},
		{"dict trailing comma", "{\n  'a': 1,\n}", map[string]any{"a": int64(1)}},
		{"dict repeated key keeps the last", `{'a': 1, 'a': 2}`, map[string]any{"a": int64(2)}},
		{"nested", `{'a': {'b': [1, (2, 3)]}}`, map[string]any{"a": map[string]any{"b": []any{int64(1), []any{int64(2), int64(3)}}}}},
		{"empty list", `[]`, []any{}},
		{"list trailing comma", `[1, 2,]`, []any{int64(1), int64(2)}},
		{"empty tuple", `()`, []any{}},
		{"one-tuple", `('x',)`, []any{"x"}},
		{"tuple", `(1, 'a', None)`, []any{int64(1), "a", nil}},
		{"parenthesised value is not a tuple", `('x')`, "x"},
		{"True False None", `[True, False, None]`, []any{true, false, nil}},
		{"single quotes", `'it'`, "it"},
		{"double quotes", `"it's"`, "it's"},
		{"triple single quotes", "'''a\nb'''", "a\nb"},
		{"triple double quotes", "\"\"\"a \"quoted\" b\"\"\"", `a "quoted" b`},
		{"triple quotes then a string", `'''it'''' '`, "it "},
		{"triple quotes with an escaped quote before the end", `'''it\''''`, "it'"},
		{"empty strings", `['', "", '''''', """"""]`, []any{"", "", "", ""}},
		{"escapes", `'\n\t\\\'\"\a\b\f\v\r'`, "\n\t\\'\"\a\b\f\v\r"},
		{"hex, unicode and octal escapes", `'\x41\u00e9\U0001F600\101\0'`, "Aé😀A\x00"},
		{"unknown escape is kept", `'\d\q'`, `\d\q`},
		{"backslash newline joins lines", "'a\\\nb'", "ab"},
		{"raw string", `r'\n\d'`, `\n\d`},
		{"raw string keeps an escaped quote", `R'a\'b'`, `a\'b`},
		{"unicode prefix", `u'é'`, "é"},
		{"upper-case unicode prefix", `U"x"`, "x"},
		{"bytes", `b'a\x00\xff'`, []byte{'a', 0, 0xff}},
		{"bytes keep \\u", `B'\u0041'`, []byte(`\u0041`)},
		{"raw bytes", `rb'\x'`, []byte(`\x`)},
		{"raw bytes other order", `Br'\n'`, []byte(`\n`)},
		{"adjacent strings", `'a' "b" '''c'''`, "abc"},
		{"adjacent strings across lines in brackets", "('Manage '\n  'stock'\n)", "Manage stock"},
		{"adjacent raw and plain", `r'\d' '\n'`, "\\d\n"},
		{"adjacent bytes", `b'a' b'b'`, []byte("ab")},
		{"int", `42`, int64(42)},
		{"zero", `0`, int64(0)},
		{"zeros", `000`, int64(0)},
		{"negative int", `-7`, int64(-7)},
		{"plus sign", `+7`, int64(7)},
		{"sign and space", `- 7`, int64(-7)},
		{"underscores", `1_000_000`, int64(1000000)},
		{"hex", `0xFF`, int64(255)},
		{"hex underscore after prefix", `0x_ff_ff`, int64(65535)},
		{"octal", `0o17`, int64(15)},
		{"binary", `0b1010`, int64(10)},
		{"largest int", `9223372036854775807`, int64(math.MaxInt64)},
		{"smallest int", `-9223372036854775808`, int64(math.MinInt64)},
		{"float", `1.5`, 1.5},
		{"float without fraction", `1.`, 1.0},
		{"float without integer part", `.25`, 0.25},
		{"exponent", `1e3`, 1000.0},
		{"negative exponent", `-2.5E-3`, -0.0025},
		{"float with underscores", `1_000.000_1`, 1000.0001},
		{"float overflows to infinity", `1e400`, math.Inf(1)},
		{"zero float with leading zeros", `00.5`, 0.5},
		{"comments", "# -*- coding: utf-8 -*-\n# Part of Odoo.\n{'a': 1,  # one\n # nothing\n}\n# end", map[string]any{"a": int64(1)}},
		{"line continuation", "[1, \\\n 2]", []any{int64(1), int64(2)}},
		{"CRLF line breaks", "{\r\n'a': '''x\r\ny''',\r\n}\r\n", map[string]any{"a": "x\ny"}},
		{"indented on the first line", "  \t{'a': 1}", map[string]any{"a": int64(1)}},
		{"a form feed before it on a later line", "# c\n \f{'a': 1}", map[string]any{"a": int64(1)}},
		{"indented line after it", "{'a':\n    1}\n  # c", map[string]any{"a": int64(1)}},
		{"tabs and form feeds", "\t{\f'a'\t:\t1}", map[string]any{"a": int64(1)}},
		{"non-ASCII text", `{'name': 'Fabrication — 製造'}`, map[string]any{"name": "Fabrication — 製造"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := odoo.ParseLiteral("x.py", []byte(tt.src))
			if err != nil {
				t.Fatalf("ParseLiteral(%q): %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLiteral(%q) mismatch (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestParseLiteralErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // the whole message, position included
	}{
		{"empty", "  \n# nothing\n", "x.py:3:1: empty file: want a Python literal such as a dict"},
		// Odoo hands the text to ast.literal_eval, which refuses both.
		{"byte order mark", "\uFEFF{'a': 1}", "x.py:1:1: the file starts with a byte order mark (U+FEFF), which Odoo's ast.literal_eval refuses: save it as UTF-8 without one"},
		{"indented after a comment", "# -*- coding: utf-8 -*-\n    {'a': 1}", "x.py:2:5: unexpected indent: the literal starts after spaces or tabs on a line after the first, which Python refuses (IndentationError): start it at the beginning of its line"},
		{"indented after a blank line", "\n\t{'a': 1}", "x.py:2:2: unexpected indent: the literal starts after spaces or tabs on a line after the first, which Python refuses (IndentationError): start it at the beginning of its line"},
		{"name", "{'a': foo}", "x.py:1:7: name foo is not a literal: want a string, number, True, False, None, dict, list or tuple"},
		{"lower-case true", "true", "x.py:1:1: name true is not a literal: want a string, number, True, False, None, dict, list or tuple"},
		{"call", "dict(a=1)", "x.py:1:1: call of dict(...) is not a literal"},
		{"call inside", "{\n  'depends': list(x),\n}", "x.py:2:14: call of list(...) is not a literal"},
		{"addition", "1+2", `x.py:1:2: unexpected "+" after the literal (operators are not literals)`},
		{"addition in a list", "[1 + 2]", `x.py:1:4: unexpected "+": want "," or "]" (operators are not literals)`},
		{"string concatenation with +", "{'a': 'x' + 'y'}", `x.py:1:11: unexpected "+": want "," or "}" after a dict value (operators are not literals)`},
		{"double sign", "--1", `x.py:1:1: "-" must be followed by a number: operators are not literals`},
		{"negated bool", "-True", `x.py:1:1: "-" must be followed by a number: operators are not literals`},
		{"f-string", "f'{x}'", "x.py:1:1: f-strings are not literals"},
		{"raw f-string", "[rf'x']", "x.py:1:2: f-strings are not literals"},
		{"bad prefix", "ur'x'", `x.py:1:1: "ur" is not a string prefix`},
		{"set", "{1, 2}", "x.py:1:1: set literals are not supported: want a dict of key: value pairs"},
		{"one-element set", "[{'a'}]", "x.py:1:2: set literals are not supported: want a dict of key: value pairs"},
		{"int key", "{\n  1: 'a',\n}", "x.py:2:3: dict key is an int: keys must be strings"},
		{"tuple key", "{('a',): 1}", "x.py:1:2: dict key is a tuple: keys must be strings"},
		{"None key", "{None: 1}", "x.py:1:2: dict key is None: keys must be strings"},
		{"unpacking", "{**a}", "x.py:1:2: unpacking (**) is not a literal"},
		{"missing colon", "{'a' 1}", `x.py:1:6: unexpected number 1: want ":" after a dict key`},
		{"missing comma", "['a' 'b' 1]", `x.py:1:10: unexpected number 1: want "," or "]"`},
		{"empty item", "[1,,2]", `x.py:1:4: unexpected ",": want a value`},
		{"unclosed list", "{'depends': ['base',\n", `x.py:2:1: unexpected end of file: want a value`},
		{"unclosed dict", "{'a': 1", `x.py:1:8: unexpected end of file: want "," or "}" after a dict value (a bracket is not closed)`},
		{"mismatched bracket", "[1)", `x.py:1:3: unexpected ")": want "," or "]"`},
		{"two values", "{} {}", `x.py:1:4: unexpected "{" after the literal`},
		{"strings on separate lines outside brackets", "'a'\n'b'", "x.py:2:1: unexpected string after the literal"},
		{"statement", "x = {}", "x.py:1:1: name x is not a literal: want a string, number, True, False, None, dict, list or tuple"},
		{"assignment after a value", "{} = 1", `x.py:1:4: unexpected "=": expressions and statements are not literals`},
		{"attribute", "{'a': 1}.keys()", `x.py:1:9: unexpected ".": expressions and statements are not literals`},
		{"comprehension", "[x for x in y]", "x.py:1:2: name x is not a literal: want a string, number, True, False, None, dict, list or tuple"},
		{"lambda", "lambda: 1", "x.py:1:1: name lambda is not a literal: want a string, number, True, False, None, dict, list or tuple"},
		{"unterminated string", "{'a': 'b}", "x.py:1:7: unterminated string: the file ends inside it"},
		{"line break in a string", "{'a': 'b\n'}", `x.py:1:7: unterminated string: a line break inside a quoted string needs ''' or """`},
		{"unterminated triple", "'''abc''", "x.py:1:1: unterminated string: the file ends inside it"},
		{"mixed bytes and str", "'a' b'b'", "x.py:1:5: cannot mix bytes and str literals"},
		{"non-ASCII bytes", "b'é'", "x.py:1:3: bytes literals may hold only ASCII characters"},
		{"named escape", `'\N{EM DASH}'`, `x.py:1:2: \N{...} escapes are not supported: write the character itself`},
		{"short hex escape", `'\x4'`, `x.py:1:2: truncated \x escape: want 2 hexadecimal digits`},
		{"short unicode escape", `'ab\u12'`, `x.py:1:4: truncated \u escape: want 4 hexadecimal digits`},
		{"surrogate", `'\udc80'`, `x.py:1:2: escape \udc80 is a lone surrogate, which UTF-8 cannot hold`},
		{"beyond Unicode", `'\U00110000'`, `x.py:1:2: escape \U00110000 is beyond the last Unicode character`},
		{"leading zeros", "[007]", "x.py:1:2: invalid number 007: leading zeros are not allowed; write 0o for octal"},
		{"double underscore", "1__0", "x.py:1:1: invalid number 1__0"},
		{"trailing underscore", "10_", "x.py:1:1: invalid number 10_"},
		{"bad hex", "0xg", "x.py:1:1: invalid number 0xg"},
		{"bad octal digit", "0o8", "x.py:1:1: invalid number 0o8"},
		{"letters after a number", "12abc", "x.py:1:1: invalid number 12abc"},
		{"no exponent digits", "1e", "x.py:1:1: invalid number 1e: the exponent has no digits"},
		{"complex", "1j", "x.py:1:1: complex number 1j is not supported"},
		{"int too large", "9223372036854775808", "x.py:1:1: integer 9223372036854775808 does not fit in 64 bits"},
		{"int far too large", "-99999999999999999999999", "x.py:1:2: integer 99999999999999999999999 does not fit in 64 bits"},
		{"stray backslash", "[1, \\ 2]", `x.py:1:5: unexpected \ outside a string`},
		{"not UTF-8", "{'a':\n 'b\xff'}", "x.py:2:4: byte 0xff is not UTF-8: manifests must be UTF-8 text"},
		{"stray character", "{'a': 1 ~ 2}", `x.py:1:9: unexpected "~": expressions and statements are not literals`},
		{"non-ASCII punctuation", "[1, «2»]", `x.py:1:5: unexpected character '«'`},
		{"too deep", strings.Repeat("[", 201) + strings.Repeat("]", 201), "x.py:1:201: containers nested deeper than 200 levels"},
		{"too large", "'" + strings.Repeat("a", odoo.MaxLiteralSize) + "'", "x.py:1:1: file is 1048578 bytes, larger than the 1048576 a manifest may have"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := odoo.ParseLiteral("x.py", []byte(tt.src))
			if err == nil {
				t.Fatalf("ParseLiteral(%q) = %#v, want error %q", tt.src, got, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseLiteral(%q) error\n got: %s\nwant: %s", tt.src, err, tt.want)
			}
			var e *odoo.Error
			if !errors.As(err, &e) || e.Line == 0 || e.Col == 0 {
				t.Errorf("error %v (%T): want an *odoo.Error with line and column", err, err)
			}
			if got, want := andon.ErrorCode(err), andon.EINVALID; got != want {
				t.Errorf("ErrorCode = %q, want %q", got, want)
			}
		})
	}
}

func TestParseLiteralDepth(t *testing.T) {
	src := strings.Repeat("(", odoo.MaxLiteralDepth) + "1" + strings.Repeat(",)", odoo.MaxLiteralDepth)
	if _, err := odoo.ParseLiteral("x.py", []byte(src)); err != nil {
		t.Errorf("nesting at the limit: %v", err)
	}
}
