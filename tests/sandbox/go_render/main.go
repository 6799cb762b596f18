// Reads {"templates": [...], "data": {...}} on stdin and prints, for each template, what
// Go's html/template does with it as Supabase Auth runs it: the parse error, or the
// execution error, or the text. The sandbox's renderer is compared with it.
package main

import (
	"bytes"
	"encoding/json"
	"html/template"
	"os"
)

type input struct {
	Templates []string       `json:"templates"`
	Data      map[string]any `json:"data"`
}

type result struct {
	Parse string `json:"parse"`
	Exec  string `json:"exec"`
	Out   string `json:"out"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	out := []result{}
	for _, text := range in.Templates {
		r := result{}
		t, err := template.New("t").Parse(text)
		if err != nil {
			r.Parse = err.Error()
		} else {
			var buf bytes.Buffer
			if err := t.Execute(&buf, in.Data); err != nil {
				r.Exec = err.Error()
			} else {
				r.Out = buf.String()
			}
		}
		out = append(out, r)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
