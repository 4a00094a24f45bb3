{{/* The release's full name, at most 63 characters (a DNS label). */}}
{{- define "routedesk.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of one component's objects: <fullname>-<component>, the component kept whole. */}}
{{- define "routedesk.component" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- printf "%s-%s" (include "routedesk.fullname" $root | trunc (int (sub 62 (len $component))) | trimSuffix "-") $component -}}
{{- end -}}

{{- define "routedesk.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "routedesk.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "routedesk.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: routedesk
{{- end -}}

{{/* Selector labels of one component: (list $ "server"). */}}
{{- define "routedesk.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "routedesk.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "routedesk.secretName" -}}
{{- default (include "routedesk.fullname" .) .Values.secret.name -}}
{{- end -}}

{{- define "routedesk.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "routedesk.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "routedesk.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The environment every routedesk process shares: secrets from the Secret, settings from values. */}}
{{- define "routedesk.env" -}}
{{- $secret := include "routedesk.secretName" . -}}
- name: DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: DATABASE_URL}}
- name: ROUTEDESK_SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: ROUTEDESK_SECRET_KEY}}
{{- range list "ROUTEDESK_BOOTSTRAP_TOKEN" "ROUTEDESK_PREVIOUS_SECRET_KEYS" "TEMPORAL_API_KEY" "ROUTEDESK_SMTP_URL" }}
- name: {{ . }}
  valueFrom: {secretKeyRef: {name: {{ $secret }}, key: {{ . }}, optional: true}}
{{- end }}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required: the external Temporal frontend, host:port" .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: ROUTEDESK_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
{{- if .Values.temporal.tlsSecret }}
- name: TEMPORAL_TLS_CERT
  value: /etc/routedesk/temporal-tls/tls.crt
- name: TEMPORAL_TLS_KEY
  value: /etc/routedesk/temporal-tls/tls.key
- name: TEMPORAL_TLS_CA
  value: /etc/routedesk/temporal-tls/ca.crt
{{- end }}
{{- with .Values.temporal.tlsServerName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- with .Values.temporal.uiURL }}
- name: ROUTEDESK_TEMPORAL_UI_URL
  value: {{ . | quote }}
{{- end }}
- name: ROUTEDESK_SHUTDOWN_TIMEOUT
  value: {{ printf "%ds" (int .Values.shutdownTimeoutSeconds) | quote }}
{{- range $name, $value := .Values.config }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Volumes and mounts for the Temporal client certificate (all processes). */}}
{{- define "routedesk.temporalTLSVolume" -}}
{{- if .Values.temporal.tlsSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tlsSecret }}
{{- end }}
{{- end -}}
{{- define "routedesk.temporalTLSMount" -}}
{{- if .Values.temporal.tlsSecret }}
- name: temporal-tls
  mountPath: /etc/routedesk/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every routedesk pod (the service account is the caller's). */}}
{{- define "routedesk.podSpec" -}}
# routedesk never calls the Kubernetes API.
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
