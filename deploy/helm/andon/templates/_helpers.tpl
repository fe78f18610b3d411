{{/* The chart's name, or nameOverride. */}}
{{- define "andon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The name of the release's objects: the release name when it contains the
chart's name (helm install andon …), else release-chart.
*/}}
{{- define "andon.fullname" -}}
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

{{/* Labels that select the pods; they never change across upgrades. */}}
{{- define "andon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "andon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "andon.labels" -}}
{{ include "andon.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "andon.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "andon.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The image reference: repository:tag@digest when a digest is set (the tag is
kept for readers, the digest decides), else repository:tag.
*/}}
{{- define "andon.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" .Values.image.digest) -}}
{{- fail (printf "image.digest %q: want sha256: and 64 lower-case hexadecimal digits" .Values.image.digest) -}}
{{- end -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Fails the rendering unless exactly one catalog source is set. */}}
{{- define "andon.checkCatalog" -}}
{{- if and .Values.catalog.configMap.name .Values.catalog.git.url -}}
{{- fail "catalog: set catalog.configMap.name or catalog.git.url, not both" -}}
{{- end -}}
{{- if not (or .Values.catalog.configMap.name .Values.catalog.git.url) -}}
{{- fail "catalog: set catalog.configMap.name (a ConfigMap of catalog files) or catalog.git.url (a git repository)" -}}
{{- end -}}
{{- end -}}

{{/*
Fails the rendering on arguments andon serve would refuse at start, which
would otherwise show only as pods that never become ready.
*/}}
{{- define "andon.checkServe" -}}
{{- if not (has .Values.logFormat (list "text" "json")) -}}
{{- fail (printf "logFormat %q: want text or json" (toString .Values.logFormat)) -}}
{{- end -}}
{{- if not (regexMatch "(?i)^(debug|info|warn|error)([+-][0-9]+)?$" (toString .Values.logLevel)) -}}
{{- fail (printf "logLevel %q: want debug, info, warn or error" (toString .Values.logLevel)) -}}
{{- end -}}
{{- if not (regexMatch `^(0|[+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$` (toString .Values.catalogInterval)) -}}
{{- fail (printf "catalogInterval %q: want a duration such as 30s or 5m, or 0 to read the catalog only at start" (toString .Values.catalogInterval)) -}}
{{- end -}}
{{- if and .Values.webhook.enabled (not (has (toString .Values.webhook.traefikMajor) (list "2" "3"))) -}}
{{- fail (printf "webhook.traefikMajor %v: want 2 or 3" .Values.webhook.traefikMajor) -}}
{{- end -}}
{{- /* After the preStop sleep, andon serve finishes its requests for up
to shutdownTimeoutSeconds once SIGTERM comes: the grace period must hold
both, or the pod is killed while it still answers gate calls. */ -}}
{{- if not (regexMatch `^[1-9][0-9]*$` (toString .Values.shutdownTimeoutSeconds)) -}}
{{- fail (printf "shutdownTimeoutSeconds %v: want a whole number of seconds, 1 or more" .Values.shutdownTimeoutSeconds) -}}
{{- end -}}
{{- $drain := add (int .Values.preStopSleepSeconds) (int .Values.shutdownTimeoutSeconds) -}}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $drain) -}}
{{- fail (printf "terminationGracePeriodSeconds %v: want at least %d, preStopSleepSeconds (%v) and shutdownTimeoutSeconds (%v), the seconds andon takes to finish its requests after SIGTERM, or the pod is killed before it has answered them" .Values.terminationGracePeriodSeconds $drain .Values.preStopSleepSeconds .Values.shutdownTimeoutSeconds) -}}
{{- end -}}
{{- end -}}

{{/*
The webhook's caBundle, without the line breaks that base64 puts in by
default; rendering fails unless the API server is given a way to verify
andon's certificate. Without one every call fails TLS verification, and
production namespaces (failurePolicy Fail) would refuse every object.
*/}}
{{- define "andon.webhookCABundle" -}}
{{- $ca := nospace (.caBundle | default "") -}}
{{- if not (or $ca .certManagerCertificate) -}}
{{- fail "webhook.caBundle or webhook.certManagerCertificate: the API server needs the CA that signed the certificate of webhook.tls.secretName, or every review fails TLS verification and production namespaces refuse every object; set webhook.caBundle to base64 of the CA's PEM, or webhook.certManagerCertificate to the cert-manager Certificate (namespace/name)" -}}
{{- end -}}
{{- if and $ca (not (contains "-----BEGIN CERTIFICATE-----" (b64dec $ca))) -}}
{{- fail "webhook.caBundle: want the CA certificate in PEM, base64-encoded (base64 -w0 ca.crt), not the PEM itself nor another file" -}}
{{- end -}}
{{- with .certManagerCertificate -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$" .) -}}
{{- fail (printf "webhook.certManagerCertificate %q: want namespace/name of a cert-manager Certificate, which cert-manager's cainjector reads" .) -}}
{{- end -}}
{{- end -}}
{{- $ca -}}
{{- end -}}

{{/*
Fails the rendering on webhook settings that the API server would refuse
at install, or that would stop andon from starting, naming the value.
*/}}
{{- define "andon.checkWebhook" -}}
{{- if semverCompare "<1.28.0-0" .Capabilities.KubeVersion.Version -}}
{{- fail (printf "webhook.enabled: the webhooks' matchConditions, which keep the pods that controllers create schedulable while andon is down, need Kubernetes 1.28 or later, and the cluster runs %s, whose API server would drop them" .Capabilities.KubeVersion.Version) -}}
{{- end -}}
{{- range $stage := list "production" "other" -}}
{{- $fp := (index $.Values.webhook $stage).failurePolicy -}}
{{- if not (has $fp (list "Fail" "Ignore")) -}}
{{- fail (printf "webhook.%s.failurePolicy %q: want Fail or Ignore" $stage (toString $fp)) -}}
{{- end -}}
{{- end -}}
{{- $timeout := toString .Values.webhook.timeoutSeconds -}}
{{- if not (and (regexMatch "^[0-9]+$" $timeout) (ge (atoi $timeout) 1) (le (atoi $timeout) 30)) -}}
{{- fail (printf "webhook.timeoutSeconds %s: want whole seconds from 1 to 30, the API server's bounds" $timeout) -}}
{{- end -}}
{{- $port := toString .Values.webhook.port -}}
{{- if not (and (regexMatch "^[0-9]+$" $port) (ge (atoi $port) 1) (le (atoi $port) 65535)) -}}
{{- fail (printf "webhook.port %s: want a port number, 1 to 65535" $port) -}}
{{- end -}}
{{- if eq $port "8080" -}}
{{- fail "webhook.port 8080: that is andon's HTTP port; choose another, such as 8443" -}}
{{- end -}}
{{- $cluster := toString (.Values.webhook.cluster | default "") -}}
{{- if and $cluster (or (gt (len $cluster) 253) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" $cluster))) -}}
{{- fail (printf "webhook.cluster %q: want the catalog's kubernetes.cluster of this cluster as a lowercase DNS-1123 subdomain (a-z, 0-9, '-' and '.'), which is all the API server takes as a segment of a webhook's path" $cluster) -}}
{{- end -}}
{{- end -}}

{{/*
A webhook's namespaceSelector: the one given, never andon's own namespace
(andon could not be deployed while it is down) nor kube-system.
*/}}
{{- define "andon.webhookNamespaceSelector" -}}
{{- $sel := deepCopy (.selector | default dict) -}}
{{- $exprs := concat ($sel.matchExpressions | default list) (list (dict "key" "kubernetes.io/metadata.name" "operator" "NotIn" "values" (list .namespace "kube-system"))) -}}
{{- $_ := set $sel "matchExpressions" $exprs -}}
{{- toYaml $sel -}}
{{- end -}}

{{/*
The CEL condition that leaves out the objects the trusted controllers write
for an owner, but not the ephemeral containers added to a Pod: the same
expression as andon kube webhook-config writes.
*/}}
{{- define "andon.notControlled" -}}
{{- $users := list -}}
{{- range . -}}
{{- if or (not .) (regexMatch "['\\\\,\"]" .) -}}
{{- fail (printf "webhook.trustedControllers: %q: want a user name, or a prefix ending in *, without quotes, backslashes or commas" .) -}}
{{- end -}}
{{- if hasSuffix "*" . -}}
{{- $users = append $users (printf "request.userInfo.username.startsWith('%s')" (trimSuffix "*" .)) -}}
{{- else -}}
{{- $users = append $users (printf "request.userInfo.username == '%s'" .) -}}
{{- end -}}
{{- end -}}
{{- if $users -}}
(has(request.subResource) && request.subResource == 'ephemeralcontainers') || !(has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, has(r.controller) && r.controller) && ({{ join " || " $users }}))
{{- else -}}
true
{{- end -}}
{{- end -}}
