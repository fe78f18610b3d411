package odoo_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/odoo"
)

// FuzzParseLiteral parses arbitrary bytes as a Python literal. Whatever
// the input, ParseLiteral must not panic and must return either a value or
// an *odoo.Error with a position; a value printed back as Python source
// must parse to the same value. The corpus in testdata/fuzz/FuzzParseLiteral
// holds real manifests besides the table tests' sources.
func FuzzParseLiteral(f *testing.F) {
	for _, s := range []string{
		`{'name': 'x', 'depends': ['base'], 'auto_install': True}`,
		`('a', "b" '''c''', r'\d', b'\x00', u'é', 1_0, 0x_f, -1.5e-3, None, [], {}, (1,))`,
		"# c\n{\n 'a': \"\"\"x\n y\"\"\",  # trailing\n}\n",
		`'\x41\u00e9\U0001F600\101\n\t\\'`,
		`dict(a=1)`,
		`{1, 2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		v, err := odoo.ParseLiteral("f.py", src)
		if err != nil {
			var e *odoo.Error
			if !errors.As(err, &e) || e.Line < 1 || e.Col < 1 || e.Message == "" {
				t.Fatalf("error %v (%T): want an *odoo.Error with a position and a message", err, err)
			}
			return
		}
		printed, err := printPython(v)
		if err != nil {
			t.Fatal(err)
		}
		again, err := odoo.ParseLiteral("printed.py", []byte(printed))
		if err != nil {
			t.Fatalf("the printed value %s does not parse: %v", printed, err)
		}
		// reflect.DeepEqual first: go-cmp's diff of deeply nested lists
		// takes time exponential in the depth, so it only explains a
		// difference already found.
		if !reflect.DeepEqual(v, again) {
			t.Errorf("printed %s parses differently (-first +again):\n%s", printed, cmp.Diff(v, again))
		}
	})
}

// printPython prints a value ParseLiteral returns as a Python literal.
func printPython(v any) (string, error) {
	var b strings.Builder
	var print func(v any) error
	print = func(v any) error {
		switch v := v.(type) {
		case nil:
			b.WriteString("None")
		case bool:
			b.WriteString(map[bool]string{true: "True", false: "False"}[v])
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case float64:
			switch {
			case math.IsInf(v, 1):
				b.WriteString("1e999")
			case math.IsInf(v, -1):
				b.WriteString("-1e999")
			default:
				s := strconv.FormatFloat(v, 'g', -1, 64)
				if !strings.ContainsAny(s, ".e") {
					s += ".0"
				}
				b.WriteString(s)
			}
		case string:
			// Go's quoting of valid UTF-8 uses only escapes Python reads
			// the same way.
			b.WriteString(strconv.Quote(v))
		case []byte:
			b.WriteString(`b"`)
			for _, c := range v {
				if c >= ' ' && c < 0x7f && c != '"' && c != '\\' {
					b.WriteByte(c)
				} else {
					fmt.Fprintf(&b, `\x%02x`, c)
				}
			}
			b.WriteString(`"`)
		case []any:
			b.WriteString("[")
			for _, it := range v {
				if err := print(it); err != nil {
					return err
				}
				b.WriteString(", ")
			}
			b.WriteString("]")
		case map[string]any:
			b.WriteString("{")
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				b.WriteString(strconv.Quote(k) + ": ")
				if err := print(v[k]); err != nil {
					return err
				}
				b.WriteString(",\n")
			}
			b.WriteString("}")
		default:
			return fmt.Errorf("ParseLiteral returned a %T", v)
		}
		return nil
	}
	err := print(v)
	return b.String(), err
}

// TestParseLiteralMatchesPython compares ParseLiteral with Python's own
// ast.literal_eval on the fuzz corpus: where Python reads a literal of the
// supported forms, ParseLiteral must read the same value. It needs python3
// and is skipped without it.
func TestParseLiteralMatchesPython(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzParseLiteral/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	srcs := make([][]byte, len(files))
	printed := make([][]byte, len(files))
	results := make([]any, len(files))
	errs := make([]error, len(files))
	for i, file := range files {
		srcs[i] = mustCorpusEntry(t, file)
		results[i], errs[i] = odoo.ParseLiteral(file, srcs[i])
		if errs[i] == nil {
			p, err := printPython(results[i])
			if err != nil {
				t.Fatal(err)
			}
			printed[i] = []byte(p)
		}
	}
	// Python reads the sources, and what ParseLiteral made of them printed
	// back as Python, so that both values compare in Python's terms.
	canon := pythonCanon(t, append(srcs, printed...))
	for i, file := range files {
		want, ok := canon[i], canon[i] != ""
		switch err := errs[i]; {
		case !ok:
			// Python refuses it too, or it holds what this package
			// refuses on purpose (sets, complex numbers, big integers).
			continue
		case err != nil && (strings.Contains(err.Error(), `\N{`) || strings.Contains(err.Error(), "must be followed by a number")):
			// Refused on purpose: \N{...} escapes, and signs before
			// anything but a number, such as -(1).
			continue
		case err != nil:
			t.Errorf("%s: Python reads %s, ParseLiteral fails: %v", file, want, err)
			continue
		}
		if got := canon[len(files)+i]; got != want {
			t.Errorf("%s: ParseLiteral reads %s, Python reads %s", file, got, want)
		}
	}
}

// mustCorpusEntry returns the bytes of a corpus file in the "go test fuzz
// v1" format, with one []byte value.
func mustCorpusEntry(tb testing.TB, file string) []byte {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 2)
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		tb.Fatalf("%s: not a fuzz corpus file", file)
	}
	arg := strings.TrimSpace(lines[1])
	if !strings.HasPrefix(arg, "[]byte(") || !strings.HasSuffix(arg, ")") {
		tb.Fatalf("%s: want one []byte value", file)
	}
	s, err := strconv.Unquote(arg[len("[]byte(") : len(arg)-1])
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return []byte(s)
}

// canonPy reads a JSON list of sources, hex-encoded, and prints a JSON
// list with, for each, the canonical JSON of its value, or "" when
// ast.literal_eval refuses it or it holds what ParseLiteral does not
// return: sets, complex numbers, integers beyond 64 bits, non-string keys,
// lone surrogates.
const canonPy = `
import ast, json, sys

def conv(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        if not -2**63 <= v < 2**63:
            raise ValueError("int64")
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": repr(v)}
    if isinstance(v, str):
        v.encode("utf-8")
        return v
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, (list, tuple)):
        return [conv(x) for x in v]
    if isinstance(v, dict):
        if not all(isinstance(k, str) for k in v):
            raise ValueError("key")
        return {"dict": sorted(([k, conv(x)] for k, x in v.items()), key=lambda p: p[0])}
    raise ValueError(type(v))

def canon(src):
    try:
        return json.dumps(conv(ast.literal_eval(bytes.fromhex(src).decode("utf-8"))), sort_keys=True)
    except Exception:
        return ""

print(json.dumps([canon(s) for s in json.load(sys.stdin)]))
`

// pythonCanon returns what canonPy prints for srcs, or skips the test when
// python3 is not installed.
func pythonCanon(t *testing.T, srcs [][]byte) []string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	hexed := make([]string, len(srcs))
	for i, s := range srcs {
		hexed[i] = hex.EncodeToString(s)
	}
	in, err := json.Marshal(hexed)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", canonPy)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var canon []string
	if err := json.Unmarshal(out, &canon); err != nil || len(canon) != len(srcs) {
		t.Fatalf("python3 printed %.200s: %v", out, err)
	}
	return canon
}

// FuzzParseManifest parses arbitrary bytes as a module's manifest, which
// comes from an addons repository andon does not control. ParseManifest
// must not panic; an error must be an *odoo.Error naming the file and a
// position within the source, which andon.ErrorCode reads as EINVALID; a
// module it accepts must keep the rules ParseManifest enforces: its
// source is a dict, an installable module's version is one Odoo loads,
// and auto_install names only modules of depends.
func FuzzParseManifest(f *testing.F) {
	files, err := filepath.Glob("testdata/addons/*/*/__manifest__.py")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		`{'name': 'M', 'version': '17.0.1.0.0', 'depends': ['base', 'sale'], 'auto_install': ['sale'], 'external_dependencies': {'python': ['x'], 'bin': ['y']}}`,
		`{'version': '16.0.1', 'installable': False, 'pre_init_hook': None, 'license': 'LGPL-3'}`,
		`{'auto_install': ['mrp'], 'depends': []}`,
		`{'data': ('a.xml', 1)}`,
		"\n\n[]",
	} {
		f.Add([]byte(s))
	}
	const file = "addons/mod/__manifest__.py"
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := odoo.ParseManifest(file, src)
		if err != nil {
			var e *odoo.Error
			if !errors.As(err, &e) || e.File != file || e.Message == "" || e.Err != nil {
				t.Fatalf("error %v (%T): want an *odoo.Error naming %s with a message", err, err, file)
			}
			// Lines break at \n, \r\n and a lone \r, as in Python.
			lines := bytes.Count(bytes.ReplaceAll(bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n")), []byte("\n")) + 1
			if e.Line < 1 || e.Line > lines || e.Col < 1 {
				t.Fatalf("error %v: position %d:%d is not within the source's %d lines", err, e.Line, e.Col, lines)
			}
			if andon.ErrorCode(err) != andon.EINVALID {
				t.Fatalf("error %v: code %s, want %s", err, andon.ErrorCode(err), andon.EINVALID)
			}
			return
		}
		if m.Name != "mod" || m.ManifestFile != file {
			t.Fatalf("module %q from %q, want mod from %s", m.Name, m.ManifestFile, file)
		}
		if v, err := odoo.ParseLiteral(file, src); err != nil {
			t.Fatalf("ParseManifest accepts what ParseLiteral refuses: %v", err)
		} else if _, ok := v.(map[string]any); !ok {
			t.Fatalf("ParseManifest accepts a %T", v)
		}
		if m.Installable && m.Version != "" && !odoo.ValidVersion(odoo.Series, m.Version) {
			t.Fatalf("installable module with version %q that Odoo %s refuses", m.Version, odoo.Series)
		}
		for _, w := range m.AutoInstallWith {
			if !slices.Contains(m.Depends, w) {
				t.Fatalf("auto_install names %q, not in depends %q", w, m.Depends)
			}
		}
	})
}
