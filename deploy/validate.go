package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kinds are the objects the chart may render, by apiVersion/kind, with the Go
// type each decodes into: Kubernetes' own (k8s.io/api) and the Prometheus
// Operator's ServiceMonitor. Any other kind is an error.
var kinds = map[string]func() any{
	"v1/ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"batch/v1/Job":                            func() any { return &batchv1.Job{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
}

// Object is a rendered object decoded into its API type.
type Object struct {
	Manifest
	Kind, Name string
	Value      any // *appsv1.Deployment, *corev1.Service, ...
}

// Decode decodes one manifest strictly: YAML without duplicate keys, a known
// apiVersion and kind, and every field one the type has, spelled as the API
// spells it and of its type.
func Decode(m Manifest) (Object, error) {
	js, err := yaml.YAMLToJSONStrict([]byte(m.YAML))
	if err != nil {
		return Object{}, fmt.Errorf("%s: not valid YAML: %w", m.Source, err)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return Object{}, fmt.Errorf("%s: %w", m.Source, err)
	}
	newValue, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return Object{}, fmt.Errorf("%s: %s %q is not a kind the chart may render", m.Source, tm.APIVersion, tm.Kind)
	}
	v := newValue()
	strict, err := sigsjson.UnmarshalStrict(js, v)
	if err != nil {
		return Object{}, fmt.Errorf("%s: %s: %w", m.Source, tm.Kind, err)
	}
	if len(strict) > 0 {
		return Object{}, fmt.Errorf("%s: %s: %w", m.Source, tm.Kind, errors.Join(strict...))
	}
	meta := v.(metav1.Object)
	return Object{Manifest: m, Kind: tm.Kind, Name: meta.GetName(), Value: v}, nil
}

// Validate decodes every manifest (Decode) and checks what the API server
// would refuse, and what would leave an object doing nothing: names and
// labels, containers, and the references between objects (a selector that
// selects no pod, a port no container has, a scale target that is not rendered).
func Validate(ms []Manifest) ([]Object, error) {
	var objs []Object
	var errs []error
	seen := map[string]bool{}
	for _, m := range ms {
		o, err := Decode(m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if key := o.Kind + "/" + o.Name; seen[key] {
			errs = append(errs, fmt.Errorf("%s: %s rendered twice", o.Source, key))
		} else {
			seen[key] = true
		}
		objs = append(objs, o)
	}
	for _, o := range objs {
		for _, e := range check(o, objs) {
			errs = append(errs, fmt.Errorf("%s: %s %s: %s", o.Source, o.Kind, o.Name, e))
		}
	}
	return objs, errors.Join(errs...)
}

// check is the checks of one object; others are every rendered object.
func check(o Object, others []Object) []string {
	meta := o.Value.(metav1.Object)
	var errs field.ErrorList
	nameCheck := apivalidation.NameIsDNSSubdomain
	if o.Kind == "Service" {
		nameCheck = apivalidation.NameIsDNS1035Label
	}
	om := metav1.ObjectMeta{Name: meta.GetName(), Labels: meta.GetLabels(), Annotations: meta.GetAnnotations()}
	errs = append(errs, apivalidation.ValidateObjectMeta(&om, false, nameCheck, field.NewPath("metadata"))...)
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	switch v := o.Value.(type) {
	case *appsv1.Deployment:
		out = append(out, checkSelector(v.Spec.Selector, v.Spec.Template.Labels)...)
		out = append(out, checkPod(&v.Spec.Template)...)
	case *batchv1.Job:
		out = append(out, checkPod(&v.Spec.Template)...)
		if p := v.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever && p != corev1.RestartPolicyOnFailure {
			out = append(out, "a Job's pods must restart Never or OnFailure")
		}
	case *corev1.Service:
		out = append(out, checkService(v, others)...)
	case *policyv1.PodDisruptionBudget:
		if (v.Spec.MinAvailable == nil) == (v.Spec.MaxUnavailable == nil) {
			out = append(out, "exactly one of minAvailable and maxUnavailable must be set")
		}
		if len(podsSelected(v.Spec.Selector, others)) == 0 {
			out = append(out, "its selector matches no rendered pod template")
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		out = append(out, checkHPA(v, others)...)
	case *monitoringv1.ServiceMonitor:
		out = append(out, checkServiceMonitor(v, others)...)
	case *corev1.ConfigMap:
		for key, data := range v.Data {
			if strings.HasSuffix(key, ".json") && !json.Valid([]byte(data)) {
				out = append(out, fmt.Sprintf("data %q is not valid JSON", key))
			}
		}
	}
	return out
}

// checkSelector checks that a workload's selector selects its own pod template.
func checkSelector(sel *metav1.LabelSelector, podLabels map[string]string) []string {
	if sel == nil {
		return []string{"no selector"}
	}
	var out []string
	for _, e := range metavalidation.ValidateLabelSelector(sel, metavalidation.LabelSelectorValidationOptions{}, field.NewPath("spec", "selector")) {
		out = append(out, e.Error())
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() || !s.Matches(labels.Set(podLabels)) {
		out = append(out, "its selector does not select its own pod template")
	}
	return out
}

// checkPod checks a pod template: labels, containers, env, ports, probes and volumes.
func checkPod(t *corev1.PodTemplateSpec) []string {
	var out []string
	for _, e := range metavalidation.ValidateLabels(t.Labels, field.NewPath("spec", "template", "metadata", "labels")) {
		out = append(out, e.Error())
	}
	spec := t.Spec
	if len(spec.Containers) == 0 {
		out = append(out, "no containers")
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		if volumes[v.Name] {
			out = append(out, fmt.Sprintf("volume %q twice", v.Name))
		}
		volumes[v.Name] = true
	}
	for _, c := range spec.Containers {
		where := "container " + c.Name
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			out = append(out, where+": name: "+msg)
		}
		if c.Image == "" {
			out = append(out, where+": no image")
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			if p.Name != "" {
				for _, msg := range validation.IsValidPortName(p.Name) {
					out = append(out, where+": port "+p.Name+": "+msg)
				}
				ports[p.Name] = true
			}
			for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
				out = append(out, fmt.Sprintf("%s: port %d: %s", where, p.ContainerPort, msg))
			}
		}
		env := map[string]bool{}
		for _, e := range c.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				out = append(out, where+": env "+e.Name+": "+msg)
			}
			if env[e.Name] {
				out = append(out, where+": env "+e.Name+" set twice")
			}
			env[e.Name] = true
			if e.ValueFrom != nil && e.Value != "" {
				out = append(out, where+": env "+e.Name+" has both value and valueFrom")
			}
		}
		for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
			if p != nil && p.HTTPGet != nil && p.HTTPGet.Port.StrVal != "" && !ports[p.HTTPGet.Port.StrVal] {
				out = append(out, fmt.Sprintf("%s: %s probe names port %q, which the container does not have", where, name, p.HTTPGet.Port.StrVal))
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				out = append(out, fmt.Sprintf("%s: mounts volume %q, which the pod does not have", where, m.Name))
			}
		}
		for res, limit := range c.Resources.Limits {
			if req, ok := c.Resources.Requests[res]; ok && req.Cmp(limit) > 0 {
				out = append(out, fmt.Sprintf("%s: %s request above its limit", where, res))
			}
		}
	}
	return out
}

// checkService checks that a Service selects rendered pods and that its named target ports are theirs.
func checkService(s *corev1.Service, others []Object) []string {
	if len(s.Spec.Selector) == 0 {
		return []string{"no selector"}
	}
	pods := podsSelected(&metav1.LabelSelector{MatchLabels: s.Spec.Selector}, others)
	if len(pods) == 0 {
		return []string{"its selector matches no rendered pod template"}
	}
	var out []string
	for _, p := range s.Spec.Ports {
		if p.TargetPort.StrVal == "" {
			continue
		}
		for _, pod := range pods {
			if !hasPort(pod, p.TargetPort.StrVal) {
				out = append(out, fmt.Sprintf("port %s targets %q, which a selected pod does not have", p.Name, p.TargetPort.StrVal))
				break
			}
		}
	}
	return out
}

// checkHPA checks that an autoscaler scales a rendered Deployment that leaves its replicas to it.
func checkHPA(h *autoscalingv2.HorizontalPodAutoscaler, others []Object) []string {
	var out []string
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		out = append(out, "minReplicas above maxReplicas")
	}
	if len(h.Spec.Metrics) == 0 {
		out = append(out, "no metrics")
	}
	ref := h.Spec.ScaleTargetRef
	for _, o := range others {
		if d, ok := o.Value.(*appsv1.Deployment); ok && ref.Kind == "Deployment" && ref.APIVersion == "apps/v1" && d.Name == ref.Name {
			if d.Spec.Replicas != nil {
				out = append(out, "its Deployment sets replicas, which every rollout would reset")
			}
			return out
		}
	}
	return append(out, fmt.Sprintf("scales %s %s, which is not rendered", ref.Kind, ref.Name))
}

// checkServiceMonitor checks that a ServiceMonitor selects a rendered Service and scrapes ports it has.
func checkServiceMonitor(sm *monitoringv1.ServiceMonitor, others []Object) []string {
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		return []string{err.Error()}
	}
	var services []*corev1.Service
	for _, o := range others {
		if s, ok := o.Value.(*corev1.Service); ok && sel.Matches(labels.Set(s.Labels)) {
			services = append(services, s)
		}
	}
	if len(services) == 0 {
		return []string{"its selector matches no rendered Service"}
	}
	var out []string
	for _, ep := range sm.Spec.Endpoints {
		for _, s := range services {
			found := false
			for _, p := range s.Spec.Ports {
				found = found || p.Name == ep.Port
			}
			if !found {
				out = append(out, fmt.Sprintf("scrapes port %q, which Service %s does not have", ep.Port, s.Name))
			}
		}
	}
	return out
}

// podsSelected are the rendered pod templates (of Deployments and Jobs) that sel selects.
func podsSelected(sel *metav1.LabelSelector, objs []Object) []*corev1.PodTemplateSpec {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		return nil
	}
	var pods []*corev1.PodTemplateSpec
	for _, o := range objs {
		var t *corev1.PodTemplateSpec
		switch v := o.Value.(type) {
		case *appsv1.Deployment:
			t = &v.Spec.Template
		case *batchv1.Job:
			t = &v.Spec.Template
		default:
			continue
		}
		if s.Matches(labels.Set(t.Labels)) {
			pods = append(pods, t)
		}
	}
	return pods
}

// hasPort reports whether a container of the pod has the named port.
func hasPort(t *corev1.PodTemplateSpec, name string) bool {
	for _, c := range t.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}
