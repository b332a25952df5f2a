{{/* The release's base name, at most 52 characters so suffixed names stay valid (63). */}}
{{- define "mailcluster.fullname" -}}
{{- printf "%s" .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{/* app.kubernetes.io labels every object carries; component is passed as .component. */}}
{{- define "mailcluster.labels" -}}
app.kubernetes.io/name: mailcluster
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: mailcluster
app.kubernetes.io/component: {{ .component }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* What selects a component's pods: the stable subset of the labels. */}}
{{- define "mailcluster.selector" -}}
app.kubernetes.io/name: mailcluster
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The Secret and key holding the cluster's Azure Storage connection string. */}}
{{- define "mailcluster.storageSecret" -}}
{{- if .Values.cluster.storage.existingSecret -}}{{ .Values.cluster.storage.existingSecret }}{{- else -}}{{ include "mailcluster.fullname" . }}-storage{{- end -}}
{{- end -}}
{{- define "mailcluster.storageSecretKey" -}}
{{- if .Values.cluster.storage.existingSecret -}}{{ .Values.cluster.storage.existingSecretKey }}{{- else -}}connectionString{{- end -}}
{{- end -}}

{{/* Azurite's connection string: the emulator's public development account at the chart's Service. */}}
{{- define "mailcluster.azuriteConnectionString" -}}
{{- $host := printf "%s-azurite" (include "mailcluster.fullname" .) -}}
DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://{{ $host }}:10000/devstoreaccount1;QueueEndpoint=http://{{ $host }}:10001/devstoreaccount1;TableEndpoint=http://{{ $host }}:10002/devstoreaccount1;
{{- end -}}

{{/* "hh:mm:ss" (a .NET TimeSpan, as the silo's keys take it) in seconds. */}}
{{- define "mailcluster.seconds" -}}
{{- $parts := splitList ":" . -}}
{{- add (mul (atoi (index $parts 0)) 3600) (mul (atoi (index $parts 1)) 60) (atoi (index $parts 2)) -}}
{{- end -}}

{{/* Kubernetes' grace: Smtp:DrainTimeout, then RetryTier:HandOffTimeout, then a margin. */}}
{{- define "mailcluster.gracePeriod" -}}
{{- add (include "mailcluster.seconds" .Values.smtp.drainTimeout) (include "mailcluster.seconds" .Values.retryTier.handOffTimeout) .Values.terminationGraceMarginSeconds -}}
{{- end -}}

{{- define "mailcluster.adminSecret" -}}
{{- if .Values.admin.existingSecret -}}{{ .Values.admin.existingSecret }}{{- else -}}{{ include "mailcluster.fullname" . }}-admin{{- end -}}
{{- end -}}

{{- define "mailcluster.dkimSecret" -}}
{{- if .Values.dkim.existingSecret -}}{{ .Values.dkim.existingSecret }}{{- else -}}{{ include "mailcluster.fullname" . }}-dkim{{- end -}}
{{- end -}}

{{- define "mailcluster.credentialsSecret" -}}
{{- if .Values.submission.credentials.existingSecret -}}{{ .Values.submission.credentials.existingSecret }}{{- else -}}{{ include "mailcluster.fullname" . }}-credentials{{- end -}}
{{- end -}}

{{- define "mailcluster.eventsSecret" -}}
{{- if .Values.events.existingSecret -}}{{ .Values.events.existingSecret }}{{- else -}}{{ include "mailcluster.fullname" . }}-events{{- end -}}
{{- end }}
