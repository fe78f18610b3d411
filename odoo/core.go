package odoo

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// odoo17Data is data/odoo17-core-modules.json, a copy of
// shared/data/odoo17-core-modules.json, which andon ships as the default
// facts about Odoo 17.
//
//go:embed data/odoo17-core-modules.json
var odoo17Data []byte

// Core holds what is known of the modules that ship with an Odoo series,
// for the modules that the scanned addons paths do not hold: a deployment
// usually scans only its own addons, not Odoo's.
type Core struct {
	// Series is the Odoo series, such as "17.0".
	Series string
	// Modules are the core modules, sorted by name. Those the data
	// describes carry their manifest's facts (Path is empty and Edition
	// set); those it only names, in another module's depends or as
	// enterprise modules, have DependsUnknown set.
	Modules []*Module
	// Processes maps module names to the business processes they serve,
	// in the terms of andon's catalog (BusinessProcess names such as
	// "production" or "inventory"). It is andon's reading, not Odoo's.
	Processes map[string][]string
}

// Odoo17 returns the core data andon ships for Odoo 17: the community
// modules a manufacturer uses most, with their depends and auto_install,
// the modules they depend on by name, the enterprise modules by name,
// and the business processes of each. Each call returns a new copy.
func Odoo17() *Core {
	c, err := odoo17()
	if err != nil {
		// The data is embedded and tested; this is a build defect.
		panic(err)
	}
	return c.clone()
}

// odoo17 parses the embedded data once.
var odoo17 = sync.OnceValues(func() (*Core, error) {
	return ParseCore("odoo/data/odoo17-core-modules.json", odoo17Data)
})

// CoreProcesses returns the business processes of the Odoo 17 modules,
// community and enterprise, by module name: the mapping from modules to
// the catalog's BusinessProcess names that change impact starts from.
func CoreProcesses() map[string][]string {
	return Odoo17().Processes
}

// coreFile is the JSON form of the core data.
type coreFile struct {
	Series  string `json:"series"`
	About   string `json:"about"`
	Modules []struct {
		Module      string          `json:"module"`
		Name        string          `json:"name"`
		Version     *string         `json:"version"`
		Category    *string         `json:"category"`
		Depends     []string        `json:"depends"`
		Application bool            `json:"application"`
		AutoInstall json.RawMessage `json:"auto_install"`
		Edition     string          `json:"edition"`
		Processes   []string        `json:"processes"`
	} `json:"modules"`
	Enterprise []struct {
		Module    string   `json:"module"`
		Edition   string   `json:"edition"`
		Processes []string `json:"processes"`
	} `json:"enterprise"`
}

// ParseCore reads core data in the JSON form of
// data/odoo17-core-modules.json: series, modules (each with module, name,
// version, category, depends, application, auto_install as a bool or a
// list, edition and processes) and enterprise (module, edition and
// processes). Errors name the file, and the line when there is one.
func ParseCore(file string, data []byte) (*Core, error) {
	var f coreFile
	if err := json.Unmarshal(data, &f); err != nil {
		e := &Error{File: file, Message: err.Error()}
		// Both offsets count the bytes read when the problem was found:
		// the last of them is the offending one, or the end of the
		// offending value.
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			e.Line, e.Col = position(data, syntax.Offset-1)
		case errors.As(err, &typ):
			e.Line, e.Col = position(data, typ.Offset-1)
		}
		return nil, e
	}
	if f.Series == "" {
		return nil, &Error{File: file, Message: "no series"}
	}
	c := &Core{Series: f.Series, Processes: map[string][]string{}}
	known := map[string]bool{}
	add := func(m *Module, processes []string) error {
		if m.Name == "" {
			return &Error{File: file, Message: "a module without a name"}
		}
		if known[m.Name] {
			return &Error{File: file, Message: fmt.Sprintf("module %s is listed twice", m.Name)}
		}
		known[m.Name] = true
		c.Modules = append(c.Modules, m)
		if len(processes) > 0 {
			c.Processes[m.Name] = slices.Clone(processes)
		}
		return nil
	}
	for _, fm := range f.Modules {
		m := &Module{Name: fm.Module, Title: fm.Name, Depends: fm.Depends, Application: fm.Application, Installable: true, Edition: fm.Edition}
		if fm.Version != nil {
			m.Version = *fm.Version
		}
		if fm.Category != nil {
			m.Category = *fm.Category
		}
		if len(fm.AutoInstall) > 0 && string(fm.AutoInstall) != "null" {
			var list []string
			if err := json.Unmarshal(fm.AutoInstall, &m.AutoInstall); err != nil {
				if err := json.Unmarshal(fm.AutoInstall, &list); err != nil {
					return nil, &Error{File: file, Message: fmt.Sprintf("module %s: auto_install is %s, want a bool or a list of names", fm.Module, fm.AutoInstall)}
				}
				m.AutoInstall, m.AutoInstallWith = true, list
			}
		}
		if err := add(m, fm.Processes); err != nil {
			return nil, err
		}
	}
	for _, fm := range f.Enterprise {
		m := &Module{Name: fm.Module, Installable: true, Edition: fm.Edition, DependsUnknown: true}
		if err := add(m, fm.Processes); err != nil {
			return nil, err
		}
	}
	// A community module depends only on community modules, which exist
	// even where the data does not describe them.
	for _, m := range slices.Clone(c.Modules) {
		for _, d := range m.Depends {
			if !known[d] {
				known[d] = true
				c.Modules = append(c.Modules, &Module{Name: d, Installable: true, Edition: "community", DependsUnknown: true})
			}
		}
	}
	slices.SortFunc(c.Modules, func(a, b *Module) int { return strings.Compare(a.Name, b.Name) })
	return c, nil
}

// position returns the 1-based line and column of the byte offset off in
// data.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len([]rune(string(before[bytes.LastIndexByte(before, '\n')+1:]))) + 1
	return line, col
}

// clone returns a deep copy of c, so that callers of Odoo17 cannot change
// the data for each other.
func (c *Core) clone() *Core {
	d := &Core{Series: c.Series, Processes: make(map[string][]string, len(c.Processes))}
	for _, m := range c.Modules {
		d.Modules = append(d.Modules, m.clone())
	}
	for k, v := range c.Processes {
		d.Processes[k] = slices.Clone(v)
	}
	return d
}

// clone returns a deep copy of m.
func (m *Module) clone() *Module {
	c := *m
	c.Depends = slices.Clone(m.Depends)
	c.AutoInstallWith = slices.Clone(m.AutoInstallWith)
	c.Data = slices.Clone(m.Data)
	c.Demo = slices.Clone(m.Demo)
	c.ExternalDependencies.Python = slices.Clone(m.ExternalDependencies.Python)
	c.ExternalDependencies.Bin = slices.Clone(m.ExternalDependencies.Bin)
	return &c
}
