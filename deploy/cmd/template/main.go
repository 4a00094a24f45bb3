// Command template prints routedesk's chart rendered as `helm template` does
// (Helm's own packages, pinned in deploy/go.mod), after validating every object
// against the Kubernetes API types; it exits 1, printing why, when one is invalid.
//
//	go run ./cmd/template [-f my-values.yaml] [-name routedesk] [-namespace support] > routedesk.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/routedesk/routedesk/deploy"
)

func main() {
	valuesFile := flag.String("f", "", "values file (YAML) over the chart's values")
	name := flag.String("name", "routedesk", "release name")
	namespace := flag.String("namespace", "default", "namespace")
	flag.Parse()
	if err := run(*valuesFile, *name, *namespace); err != nil {
		fmt.Fprintln(os.Stderr, "template:", err)
		os.Exit(1)
	}
}

func run(valuesFile, name, namespace string) error {
	vals := map[string]any{}
	if valuesFile != "" {
		b, err := os.ReadFile(valuesFile)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(b, &vals); err != nil {
			return fmt.Errorf("%s: %w", valuesFile, err)
		}
	}
	ms, err := deploy.Render(deploy.ChartDir, name, namespace, vals)
	if err != nil {
		return err
	}
	if _, err := deploy.Validate(ms); err != nil {
		return fmt.Errorf("invalid objects:\n%w", err)
	}
	_, err = fmt.Print(deploy.Stream(ms))
	return err
}
