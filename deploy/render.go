// Package deploy renders routedesk's Helm chart (helm/routedesk) as `helm
// template` does, with Helm's own packages, and validates every rendered
// object against the Kubernetes API types offline. It is a module of its own
// so that the main module carries no Kubernetes dependencies.
package deploy

import (
	"fmt"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

// ChartDir is the chart's directory, relative to this module.
const ChartDir = "helm/routedesk"

// KubeVersion is the Kubernetes version the chart is rendered for.
const KubeVersion = "v1.33.0"

// Manifest is one rendered object: the template it came from, its YAML, and whether it is a Helm hook.
type Manifest struct {
	Source string
	YAML   string
	Hook   bool
}

// Render renders the chart in dir for a release named name in namespace with
// vals over the chart's values, as `helm template` does: values checked
// against the chart's schema, the chart's kubeVersion against KubeVersion,
// NOTES.txt left out, hooks and the other objects in Helm's install order.
func Render(dir, name, namespace string, vals map[string]any) ([]Manifest, error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	caps := common.DefaultCapabilities.Copy()
	kv, err := common.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	caps.KubeVersion = *kv
	if c := ch.Metadata.KubeVersion; c != "" && !chartv2util.IsCompatibleRange(c, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion %s, incompatible with %s", c, caps.KubeVersion.String())
	}
	values, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals,
		common.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}, caps, false)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	files, err := engine.Render(ch, values)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	for f := range files {
		if strings.HasSuffix(f, "NOTES.txt") {
			delete(files, f)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("sort manifests: %w", err)
	}
	var out []Manifest
	for _, h := range hooks {
		out = append(out, Manifest{Source: h.Path, YAML: h.Manifest, Hook: true})
	}
	for _, m := range manifests {
		out = append(out, Manifest{Source: m.Name, YAML: m.Content})
	}
	return out, nil
}

// Stream is the manifests as one YAML stream, as `helm template` prints it.
func Stream(ms []Manifest) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Source, strings.TrimSpace(m.YAML))
	}
	return b.String()
}
