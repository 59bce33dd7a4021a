package consent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds every YAML file the package reads.
const maxFileSize = 256 << 10

// maxNoticeFiles bounds the notice files LoadNotices reads from one
// directory: one per language.
const maxNoticeFiles = 100

// readFile reads name from fsys, reading no more than maxFileSize bytes
// (plus one, to tell that the file is larger), whatever size the file
// system reports.
func readFile(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, &LoadError{File: name, Problem: fmt.Sprintf("is larger than %d bytes, the limit", maxFileSize)}
	}
	return data, nil
}

// LoadError says what is wrong in a notice or keyword file, and where.
type LoadError struct {
	File    string // the file name as given to the loader
	Line    int    // 1-based; 0 when the whole file is concerned
	Field   string // dotted path of the field, e.g. "buttons.accept"; may be empty
	Problem string
}

// Error reads "file:line: field problem".
func (e *LoadError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field == "" {
		return loc + ": " + e.Problem
	}
	return loc + ": " + e.Field + " " + e.Problem
}

// yamlDoc is a decoded file with its node tree, to find the line of a field.
type yamlDoc struct {
	file string
	root *yaml.Node
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

// decodeYAML decodes data strictly (unknown fields are errors) into v and
// keeps the node tree for line lookups.
func decodeYAML(file string, data []byte, v any) (doc *yamlDoc, err error) {
	defer func() {
		// The YAML decoder is outside code; a panic on hostile input is
		// a file that cannot be read, not a crash of the line.
		if r := recover(); r != nil {
			doc, err = nil, &LoadError{File: file, Problem: "could not be parsed as YAML"}
		}
	}()
	if len(data) > maxFileSize {
		return nil, &LoadError{File: file, Problem: fmt.Sprintf("is %d bytes; the limit is %d", len(data), maxFileSize)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &LoadError{File: file, Problem: "is empty"}
		}
		return nil, yamlError(file, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	return &yamlDoc{file: file, root: &root}, nil
}

// yamlError turns a yaml error into a LoadError with the first line it names.
func yamlError(file string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &LoadError{File: file, Line: n, Problem: m[2]}
	}
	return &LoadError{File: file, Problem: msg}
}

// line returns the line of the value at path (mapping keys, or "[i]" for a
// sequence index); the line of the deepest node found when the path ends
// early.
func (d *yamlDoc) line(path ...string) int {
	n := d.root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		next := child(n, p)
		if next == nil {
			return n.Line
		}
		n = next
	}
	return n.Line
}

func child(n *yaml.Node, key string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if len(key) > 2 && key[0] == '[' && key[len(key)-1] == ']' {
			i, err := strconv.Atoi(key[1 : len(key)-1])
			if err == nil && i >= 0 && i < len(n.Content) {
				return n.Content[i]
			}
		}
	}
	return nil
}

// fail builds a LoadError for the field at path.
func (d *yamlDoc) fail(problem string, path ...string) *LoadError {
	return &LoadError{File: d.file, Line: d.line(path...), Field: fieldPath(path), Problem: problem}
}

// fieldPath joins a path of mapping keys and "[i]" indexes as
// "languages.en.withdraw[0]".
func fieldPath(p []string) string {
	s := ""
	for _, e := range p {
		if s != "" && e[0] != '[' {
			s += "."
		}
		s += e
	}
	return s
}
