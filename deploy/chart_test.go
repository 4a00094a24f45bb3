package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// everything turns every option of the chart on.
const everything = `
temporal: {address: temporal.example.internal:7233, namespace: support, tlsSecret: temporal-client, tlsServerName: temporal.example.internal}
secret: {name: routedesk-secrets}
config: {ROUTEDESK_PUBLIC_URL: "https://desk.example.com", ROUTEDESK_OUTBOUND_ALLOWED_NETWORKS: 10.20.0.0/16}
smtp: {enabled: true, tlsSecret: mx-tls, service: {loadBalancerSourceRanges: [0.0.0.0/0]}}
monitoring: {serviceMonitor: {enabled: true, labels: {release: prometheus}}, dashboard: {enabled: true}}
worker: {autoscaling: {enabled: true, maxReplicas: 8}}
serviceAccount: {create: false, name: routedesk}
`

// render renders the chart with values (YAML) and validates it, failing the test on any error.
func render(t *testing.T, values string) []Object {
	t.Helper()
	vals := map[string]any{}
	if err := yaml.Unmarshal([]byte(values), &vals); err != nil {
		t.Fatal(err)
	}
	ms, err := Render(ChartDir, "rd", "support", vals)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Validate(ms)
	if err != nil {
		t.Fatalf("rendered objects are not valid:\n%v\n\n%s", err, Stream(ms))
	}
	return objs
}

// find returns the rendered object of kind whose name ends in suffix.
func find[T any](t *testing.T, objs []Object, kind, suffix string) T {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && strings.HasSuffix(o.Name, suffix) {
			return o.Value.(T)
		}
	}
	t.Fatalf("no %s *%s rendered", kind, suffix)
	var zero T
	return zero
}

// names are the kind/name of objs, sorted.
func names(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Kind+"/"+o.Name)
	}
	slices.Sort(out)
	return out
}

func TestChartRendersValidObjects(t *testing.T) {
	for name, tc := range map[string]struct {
		values string
		want   []string
	}{
		"defaults": {"", []string{
			"Deployment/rd-routedesk-server", "Deployment/rd-routedesk-worker", "Job/rd-routedesk-migrate",
			"PodDisruptionBudget/rd-routedesk-server", "PodDisruptionBudget/rd-routedesk-worker",
			"Service/rd-routedesk-server", "Service/rd-routedesk-worker-metrics", "ServiceAccount/rd-routedesk",
		}},
		"everything": {everything, []string{
			"ConfigMap/rd-routedesk-dashboard",
			"Deployment/rd-routedesk-server", "Deployment/rd-routedesk-worker",
			"HorizontalPodAutoscaler/rd-routedesk-worker", "Job/rd-routedesk-migrate",
			"PodDisruptionBudget/rd-routedesk-server", "PodDisruptionBudget/rd-routedesk-worker",
			"Service/rd-routedesk-server", "Service/rd-routedesk-smtp", "Service/rd-routedesk-worker-metrics",
			"ServiceMonitor/rd-routedesk-server", "ServiceMonitor/rd-routedesk-worker",
		}},
	} {
		t.Run(name, func(t *testing.T) {
			objs := render(t, tc.values)
			if got := names(objs); !slices.Equal(got, tc.want) {
				t.Errorf("rendered %v, want %v", got, tc.want)
			}
			for _, o := range objs {
				if o.Hook != (o.Kind == "Job") {
					t.Errorf("%s/%s: hook %v", o.Kind, o.Name, o.Hook)
				}
			}
		})
	}
}

func TestServerIsReadyOnReadyzAndSMTPHasItsOwnService(t *testing.T) {
	objs := render(t, everything)
	d := find[*appsv1.Deployment](t, objs, "Deployment", "-server")
	c := d.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"server"}) {
		t.Errorf("server args %v", c.Args)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port.StrVal != "http" {
		t.Errorf("readiness probe %+v, want GET /readyz on http", p)
	}
	if env := envOf(c); env["ROUTEDESK_HTTP_ADDR"] != "0.0.0.0:8080" || env["ROUTEDESK_SMTP_ADDR"] != "0.0.0.0:2525" {
		t.Errorf("listen addresses %q, %q", env["ROUTEDESK_HTTP_ADDR"], env["ROUTEDESK_SMTP_ADDR"])
	}
	smtp := find[*corev1.Service](t, objs, "Service", "-smtp")
	if p := smtp.Spec.Ports; len(p) != 1 || p[0].Port != 25 || p[0].TargetPort.StrVal != "smtp" || smtp.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("SMTP Service %+v", smtp.Spec)
	}
	api := find[*corev1.Service](t, objs, "Service", "-server")
	for _, p := range api.Spec.Ports {
		if p.TargetPort.StrVal == "smtp" {
			t.Error("the API's Service must not expose the SMTP listener")
		}
	}
}

func TestSecretsComeFromTheSecretOnly(t *testing.T) {
	objs := render(t, everything)
	secrets := []string{"DATABASE_URL", "ROUTEDESK_SECRET_KEY", "ROUTEDESK_BOOTSTRAP_TOKEN", "ROUTEDESK_PREVIOUS_SECRET_KEYS", "TEMPORAL_API_KEY", "ROUTEDESK_SMTP_URL"}
	for _, o := range objs {
		var pod *corev1.PodSpec
		switch v := o.Value.(type) {
		case *appsv1.Deployment:
			pod = &v.Spec.Template.Spec
		case *batchv1.Job:
			pod = &v.Spec.Template.Spec
		default:
			continue
		}
		for _, c := range pod.Containers {
			for _, name := range secrets {
				e := envVar(c, name)
				if e == nil || e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
					e.ValueFrom.SecretKeyRef.Name != "routedesk-secrets" || e.ValueFrom.SecretKeyRef.Key != name {
					t.Errorf("%s %s: %s must come from Secret routedesk-secrets, got %+v", o.Kind, o.Name, name, e)
				}
			}
		}
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("%s %s mounts a service account token; routedesk never calls the Kubernetes API", o.Kind, o.Name)
		}
	}
}

func TestMigrateRunsAsAHookBeforeInstallAndUpgrade(t *testing.T) {
	j := find[*batchv1.Job](t, render(t, ""), "Job", "-migrate")
	if hook := j.Annotations["helm.sh/hook"]; hook != "pre-install,pre-upgrade" {
		t.Errorf("helm.sh/hook %q", hook)
	}
	if c := j.Spec.Template.Spec.Containers[0]; !slices.Equal(c.Args, []string{"migrate"}) || envOf(c)["TEMPORAL_ADDRESS"] == "" {
		t.Errorf("migrate container %v %v: it needs Temporal too (search attributes)", c.Args, envOf(c))
	}
	if j.Spec.Template.Spec.ServiceAccountName != "" {
		t.Error("before install the chart's service account does not exist yet")
	}
}

func TestWorkersScaleOnTheTaskQueueBacklog(t *testing.T) {
	objs := render(t, everything)
	h := find[*autoscalingv2.HorizontalPodAutoscaler](t, objs, "HorizontalPodAutoscaler", "-worker")
	m := h.Spec.Metrics[0]
	if m.Type != autoscalingv2.ExternalMetricSourceType || m.External.Metric.Name != "routedesk_task_queue_backlog" ||
		m.External.Metric.Selector.MatchLabels["task_queue"] != "routedesk" || m.External.Target.AverageValue.String() != "50" {
		t.Errorf("autoscaler metric %+v", m)
	}
	w := find[*appsv1.Deployment](t, objs, "Deployment", "-worker")
	if env := envOf(w.Spec.Template.Spec.Containers[0]); env["ROUTEDESK_METRICS_ADDR"] != "0.0.0.0:9090" {
		t.Errorf("worker metrics address %q", env["ROUTEDESK_METRICS_ADDR"])
	}
	sm := find[*monitoringv1.ServiceMonitor](t, objs, "ServiceMonitor", "-worker")
	if sm.Spec.Endpoints[0].Port != "metrics" || sm.Labels["release"] != "prometheus" {
		t.Errorf("worker ServiceMonitor %+v", sm)
	}
	dash := find[*corev1.ConfigMap](t, objs, "ConfigMap", "-dashboard")
	var board struct {
		Panels []struct{ Targets []struct{ Expr string } }
	}
	if err := json.Unmarshal([]byte(dash.Data["routedesk.json"]), &board); err != nil || len(board.Panels) == 0 ||
		!strings.Contains(board.Panels[0].Targets[0].Expr, "routedesk_task_queue_backlog") {
		t.Errorf("dashboard: %v %+v", err, board)
	}
}

// TestEveryVariableTheChartSetsIsOneRoutedeskReads: a misspelt setting would be ignored silently.
func TestEveryVariableTheChartSetsIsOneRoutedeskReads(t *testing.T) {
	var src strings.Builder
	for _, f := range []string{"../cmd/routedesk/config.go", "../cmd/routedesk/pool.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`"((?:ROUTEDESK|TEMPORAL)_[A-Z0-9_]+|DATABASE_URL)"`).FindAllStringSubmatch(src.String(), -1) {
		known[m[1]] = true
	}
	if len(known) < 20 {
		t.Fatalf("found only %d variables in cmd/routedesk", len(known))
	}
	for _, o := range render(t, everything) {
		var pod *corev1.PodSpec
		switch v := o.Value.(type) {
		case *appsv1.Deployment:
			pod = &v.Spec.Template.Spec
		case *batchv1.Job:
			pod = &v.Spec.Template.Spec
		default:
			continue
		}
		for _, e := range pod.Containers[0].Env {
			if !known[e.Name] {
				t.Errorf("%s %s sets %s, which routedesk does not read", o.Kind, o.Name, e.Name)
			}
		}
	}
}

func TestChartRefusesBadValues(t *testing.T) {
	for name, tc := range map[string]struct{ values, want string }{
		"no Temporal address": {`temporal: {address: ""}`, "temporal/address"},
		"misspelt setting":    {`server: {replica: 3}`, "replica"},
		"wrong type":          {`worker: {metricsPort: "9090"}`, "metricsPort"},
		"bad variable name":   {`config: {"routedesk-log": x}`, "routedesk-log"},
	} {
		t.Run(name, func(t *testing.T) {
			vals := map[string]any{}
			if err := yaml.Unmarshal([]byte(tc.values), &vals); err != nil {
				t.Fatal(err)
			}
			_, err := Render(ChartDir, "rd", "support", vals)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("want an error naming %q, got %v", tc.want, err)
			}
		})
	}
}

// TestValidationFailsOnInvalidObjects: the validation the chart passes can fail.
func TestValidationFailsOnInvalidObjects(t *testing.T) {
	deployment := func(spec string) string {
		return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
` + spec
	}
	good := deployment(`      containers: [{name: web, image: web, ports: [{name: http, containerPort: 80}]}]`)
	if _, err := Validate([]Manifest{{Source: "good", YAML: good}}); err != nil {
		t.Fatalf("the baseline must pass: %v", err)
	}
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown field":   {strings.Replace(good, "selector:", "replica: 2\n  selector:", 1), `unknown field "spec.replica"`},
		"wrong case":      {strings.Replace(good, "selector:", "Replicas: 2\n  selector:", 1), `"spec.Replicas"`},
		"wrong type":      {strings.Replace(good, "selector:", "replicas: two\n  selector:", 1), "replicas"},
		"duplicate key":   {strings.Replace(good, "selector:", "replicas: 1\n  replicas: 2\n  selector:", 1), "replicas"},
		"unknown kind":    {strings.Replace(good, "kind: Deployment", "kind: Deploymnet", 1), "not a kind"},
		"bad name":        {strings.Replace(good, "name: web}", "name: Web_1}", 1), "metadata.name"},
		"not selected":    {strings.Replace(good, "matchLabels: {app: web}", "matchLabels: {app: api}", 1), "does not select its own pod template"},
		"probe port":      {deployment(`      containers: [{name: web, image: web, readinessProbe: {httpGet: {path: /readyz, port: http}}}]`), `names port "http"`},
		"env twice":       {deployment(`      containers: [{name: web, image: web, env: [{name: A, value: "1"}, {name: A, value: "2"}]}]`), "set twice"},
		"missing volume":  {deployment(`      containers: [{name: web, image: web, volumeMounts: [{name: tls, mountPath: /tls}]}]`), `volume "tls"`},
		"bad quantity":    {deployment(`      containers: [{name: web, image: web, resources: {limits: {memory: lots}}}]`), "quantities must match"},
		"request > limit": {deployment(`      containers: [{name: web, image: web, resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}}]`), "request above its limit"},
		"service selects nothing": {good + "\n" + `---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{name: http, port: 80, targetPort: http}]}`, "matches no rendered pod"},
		"service port missing": {good + "\n" + `---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: smtp, port: 25, targetPort: smtp}]}`, `targets "smtp"`},
		"autoscaler target missing": {good + "\n" + `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}, maxReplicas: 3, metrics: [{type: External, external: {metric: {name: m}, target: {type: AverageValue, averageValue: "5"}}}]}`, "not rendered"},
		"servicemonitor unknown field": {good + "\n" + `---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web}
spec: {selector: {matchLabels: {app: web}}, endpoints: [{port: http, scrapeInterval: 30s}]}`, "scrapeInterval"},
	} {
		t.Run(name, func(t *testing.T) {
			var ms []Manifest
			for i, doc := range strings.Split(tc.yaml, "\n---\n") {
				ms = append(ms, Manifest{Source: "doc" + string(rune('0'+i)), YAML: doc})
			}
			_, err := Validate(ms)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

// TestHelmLint is `helm lint --strict`: no warning either.
func TestHelmLint(t *testing.T) {
	kv, err := common.ParseKubeVersion(KubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, values := range []string{"", everything} {
		vals := map[string]any{}
		if err := yaml.Unmarshal([]byte(values), &vals); err != nil {
			t.Fatal(err)
		}
		linter := lint.RunAll(ChartDir, vals, "support", lint.WithKubeVersion(kv))
		for _, m := range linter.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint: %s", m)
			}
		}
	}
}

// envOf is a container's plain environment values by name.
func envOf(c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return env
}

// envVar is a container's variable name, or nil.
func envVar(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}
