// Reads a JSON list of templates on stdin and prints, for each, the error Go's
// html/template gives when parsing it and when executing it with sample data (as Supabase
// Auth does). The differential tests compare karto-smtp's checker with it.
package main

import (
	"encoding/json"
	"html/template"
	"io"
	"os"
)

type result struct {
	Parse string `json:"parse"`
	Exec  string `json:"exec"`
}

func main() {
	var inputs []string
	json.NewDecoder(os.Stdin).Decode(&inputs)
	data := map[string]any{
		"SiteURL": "https://karto.app", "ConfirmationURL": "https://x/verify?token=1",
		"Email": "a@b.c", "Token": "123456", "TokenHash": "abc", "RedirectTo": "https://karto.app",
		"Data": map[string]any{"name": "Ann", "items": []any{1, 2}},
	}
	out := []result{}
	for _, text := range inputs {
		r := result{}
		t, err := template.New("t").Parse(text)
		if err != nil {
			r.Parse = err.Error()
		} else if err := t.Execute(io.Discard, data); err != nil {
			r.Exec = err.Error()
		}
		out = append(out, r)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
