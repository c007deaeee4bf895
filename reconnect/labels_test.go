package reconnect_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestVocabularyHasOneHome keeps the package's vocabulary where a reader
// looks for it: every exported label in labels.go, every exported sentinel
// error in errors.go, and every exported Event field documented.
func TestVocabularyHasOneHome(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatalf("failed to list the package's files: %v", err)
	}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatalf("failed to parse %s: %v", path, err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				switch s := spec.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if strings.HasPrefix(n.Name, "Label") && gd.Tok == token.CONST && path != "labels.go" {
							t.Errorf("%s is declared in %s, want labels.go", n.Name, path)
						}
						if strings.HasPrefix(n.Name, "Err") && gd.Tok == token.VAR && path != "errors.go" {
							t.Errorf("%s is declared in %s, want errors.go", n.Name, path)
						}
					}
				case *ast.TypeSpec:
					st, ok := s.Type.(*ast.StructType)
					if !ok || s.Name.Name != "Event" {
						continue
					}
					for _, fl := range st.Fields.List {
						if fl.Doc == nil && len(fl.Names) > 0 && fl.Names[0].IsExported() {
							t.Errorf("Event.%s has no doc comment", fl.Names[0].Name)
						}
					}
				}
			}
		}
	}
}
