{{/*
Names, labels and the wiring shared by several templates. Each workload of the chart has
its own app.kubernetes.io/name (users-api, mongodb, mongo-express) and selectors use only
name + instance, as in the Kubernetes "recommended labels" example of an app and its database.
*/}}

{{/* Chart name, or nameOverride. */}}
{{- define "users-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources, truncated to 63 characters (DNS label limit).
If the release name already contains the chart name it is used as is.
*/}}
{{- define "users-api.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A name derived from the full name, cut to fit a limit. When it has to be cut, the end is
replaced by a hash of the whole name, so two releases sharing a long prefix never end up with
the same object. Usage: include "users-api.fitName" (dict "name" "<full>-suffix" "max" 52)
*/}}
{{- define "users-api.fitName" -}}
{{- if le (len .name) (int .max) }}
{{- .name }}
{{- else }}
{{- printf "%s-%s" (.name | trunc (sub (int .max) 6 | int) | trimSuffix "-") (.name | sha256sum | trunc 5) }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "users-api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object of the release, besides the selector labels. */}}
{{- define "users-api.commonLabels" -}}
helm.sh/chart: {{ include "users-api.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "users-api.name" . }}
{{- end }}

{{/* Selector labels of the app pods. */}}
{{- define "users-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "users-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of the app's objects. */}}
{{- define "users-api.labels" -}}
{{ include "users-api.selectorLabels" . }}
app.kubernetes.io/component: api
{{ include "users-api.commonLabels" . }}
{{- end }}

{{/*
Workload names must stay distinct or one Service would select another workload's pods.
*/}}
{{- define "users-api.assertDistinctNames" -}}
{{- if has (include "users-api.name" .) (list "mongodb" "mongo-express" "mongodb-backup") }}
{{- fail (printf "nameOverride %q collides with the bundled %s workload's name label; choose another name" (include "users-api.name" .) (include "users-api.name" .)) }}
{{- end }}
{{- end }}

{{/* ServiceAccount of the app pods. */}}
{{- define "users-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "users-api.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference from a dict with registry, repository, tag, digest.
Usage: include "users-api.imageRef" (dict "image" .Values.image "defaultTag" .Chart.AppVersion)
*/}}
{{- define "users-api.imageRef" -}}
{{- $repo := .image.repository }}
{{- if .image.registry }}
{{- $repo = printf "%s/%s" .image.registry .image.repository }}
{{- end }}
{{- $tag := .image.tag | default .defaultTag | toString }}
{{- if .image.digest }}
{{- printf "%s:%s@%s" $repo $tag .image.digest }}
{{- else }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}
{{- end }}

{{/* The app image. */}}
{{- define "users-api.image" -}}
{{- include "users-api.imageRef" (dict "image" .Values.image "defaultTag" .Chart.AppVersion) }}
{{- end }}

{{/* Seconds the kubelet waits after SIGTERM: the app's delay + drain timeout + margin. */}}
{{- define "users-api.terminationGracePeriodSeconds" -}}
{{- add .Values.shutdown.delaySeconds .Values.shutdown.timeoutSeconds .Values.shutdown.graceMarginSeconds }}
{{- end }}

{{/* ---------------------------------------------------------------- MongoDB */}}

{{/*
Base name of the bundled MongoDB objects, the StatefulSet's included: at most 52 characters,
because its pods carry the label controller-revision-hash: <name>-<hash of up to 10>, which
must stay within 63. The headless Service adds 9 and stays within 63 too.
*/}}
{{- define "users-api.mongodb.fullname" -}}
{{- include "users-api.fitName" (dict "name" (printf "%s-mongodb" (include "users-api.fullname" .)) "max" 52) }}
{{- end }}

{{/* Headless Service that governs the StatefulSet (stable pod DNS names). */}}
{{- define "users-api.mongodb.headlessServiceName" -}}
{{- printf "%s-headless" (include "users-api.mongodb.fullname" .) }}
{{- end }}

{{- define "users-api.mongodb.selectorLabels" -}}
app.kubernetes.io/name: mongodb
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of the MongoDB pod template: nothing that carries a version. A change to the pod
template restarts the database (and empties the app's Service meanwhile), so a chart or app
release must never touch it; a new mongod image changes the template by itself.
*/}}
{{- define "users-api.mongodb.podLabels" -}}
{{ include "users-api.mongodb.selectorLabels" . }}
app.kubernetes.io/component: database
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "users-api.name" . }}
{{- end }}

{{/* Labels of the MongoDB objects; their version is MongoDB's, not the app's. */}}
{{- define "users-api.mongodb.labels" -}}
{{ include "users-api.mongodb.podLabels" . }}
helm.sh/chart: {{ include "users-api.chart" . }}
app.kubernetes.io/version: {{ .Values.mongodb.image.tag | toString | trunc 63 | trimSuffix "-" | quote }}
{{- end }}

{{/*
The data volume's claim template is immutable in a StatefulSet, so `helm upgrade` with another
mongodb.persistence.size (or storageClass) would fail with the API server's "updates to
statefulset spec for fields other than ... are forbidden". Say instead what happened and how
to resize. Takes the live StatefulSet (empty on install and under `helm template`) and the
root context.
*/}}
{{- define "users-api.mongodb.assertVolumeUnchanged" -}}
{{- $persistence := .root.Values.mongodb.persistence }}
{{- $pvc := printf "data-%s-0" (include "users-api.mongodb.fullname" .root) }}
{{- range (dig "spec" "volumeClaimTemplates" list (.live | default dict)) }}
{{- if eq (dig "metadata" "name" "" .) "data" }}
{{- $size := dig "spec" "resources" "requests" "storage" "" . | toString }}
{{- if ne $size (toString $persistence.size) }}
{{- fail (printf "mongodb.persistence.size cannot change from %s to %s on an installed release: a StatefulSet's volumeClaimTemplates are immutable. To grow the volume, patch PVC %s to the new size (its StorageClass must allow volume expansion), delete the StatefulSet with --cascade=orphan (the pod keeps running), then run this upgrade again; see \"Resizing the MongoDB volume\" in the chart README. Otherwise keep mongodb.persistence.size: %s." $size (toString $persistence.size) $pvc $size) }}
{{- end }}
{{- $class := dig "spec" "storageClassName" "" . | toString }}
{{- if and $persistence.storageClass (ne $class $persistence.storageClass) }}
{{- fail (printf "mongodb.persistence.storageClass cannot change from %q to %q on an installed release: a StatefulSet's volumeClaimTemplates are immutable, and moving the data to another StorageClass needs a backup and restore (chart README)." $class $persistence.storageClass) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "users-api.mongodb.image" -}}
{{- include "users-api.imageRef" (dict "image" .Values.mongodb.image "defaultTag" .Values.mongodb.image.tag) }}
{{- end }}

{{/*
Name of the Secret with the MongoDB credentials (bundled MongoDB): the chart's own, or
mongodb.auth.existingSecret.
*/}}
{{- define "users-api.mongodb.secretName" -}}
{{- default (include "users-api.mongodb.fullname" .) .Values.mongodb.auth.existingSecret }}
{{- end }}

{{/*
Secret name and key that hold the app's MONGODB_URI, for every way of running the chart.
Fails with a message naming the keys to set when MongoDB is external and no URI was given.
*/}}
{{- define "users-api.uriSecretName" -}}
{{- if .Values.mongodb.enabled }}
{{- include "users-api.mongodb.secretName" . }}
{{- else if .Values.externalMongodb.existingSecret }}
{{- .Values.externalMongodb.existingSecret }}
{{- else }}
{{- $_ := required "mongodb.enabled=false needs a connection string: set externalMongodb.uri, or externalMongodb.existingSecret (and externalMongodb.existingSecretKey)" .Values.externalMongodb.uri }}
{{- include "users-api.fitName" (dict "name" (printf "%s-external-mongodb" (include "users-api.fullname" .)) "max" 63) }}
{{- end }}
{{- end }}

{{- define "users-api.uriSecretKey" -}}
{{- if .Values.mongodb.enabled }}
{{- .Values.mongodb.auth.secretKeys.uri }}
{{- else if .Values.externalMongodb.existingSecret }}
{{- .Values.externalMongodb.existingSecretKey }}
{{- else }}
{{- "mongodb-uri" }}
{{- end }}
{{- end }}

{{/*
Digest of every value that determines the content of the connection Secret. The chart's
generated passwords never change after install (lookup keeps them), so hashing the inputs
instead of the rendered Secret keeps the checksum stable between `helm install` and later
upgrades, yet rolls the pods when an operator changes a password, URI or Secret name.
*/}}
{{- define "users-api.secretChecksum" -}}
{{- $inputs := dict "mongodbEnabled" .Values.mongodb.enabled "auth" .Values.mongodb.auth "external" .Values.externalMongodb "database" .Values.config.database }}
{{- toJson $inputs | sha256sum }}
{{- end }}

{{/* ---------------------------------------------------------------- MongoDB backups */}}

{{/* The CronJob and its objects: at most 52 characters, since Jobs are named <cronjob>-<11 digits>. */}}
{{- define "users-api.mongodb.backup.fullname" -}}
{{- include "users-api.fitName" (dict "name" (printf "%s-mongodb-backup" (include "users-api.fullname" .)) "max" 52) }}
{{- end }}

{{- define "users-api.mongodb.backup.selectorLabels" -}}
app.kubernetes.io/name: mongodb-backup
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "users-api.mongodb.backup.podLabels" -}}
{{ include "users-api.mongodb.backup.selectorLabels" . }}
app.kubernetes.io/component: backup
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "users-api.name" . }}
{{- end }}

{{- define "users-api.mongodb.backup.labels" -}}
{{ include "users-api.mongodb.backup.podLabels" . }}
helm.sh/chart: {{ include "users-api.chart" . }}
app.kubernetes.io/version: {{ .Values.mongodb.image.tag | toString | trunc 63 | trimSuffix "-" | quote }}
{{- end }}

{{/* The PVC the archives go to: existingClaim, or the chart's own. */}}
{{- define "users-api.mongodb.backup.claimName" -}}
{{- default (include "users-api.mongodb.backup.fullname" .) .Values.mongodb.backup.persistence.existingClaim }}
{{- end }}

{{/* ---------------------------------------------------------------- mongo-express */}}

{{/*
Percent-encoding for the userinfo of a connection string read by the Node driver, which
decodes %XX but not `+`: urlquery escapes every reserved character (@ : / % ? # ...) and
writes a space as `+`, so that one becomes %20.
*/}}
{{- define "users-api.mongoExpress.escape" -}}
{{- urlquery . | replace "+" "%20" }}
{{- end }}

{{/* mongo-express's connection string: root user, percent-encoded, against the admin database. */}}
{{- define "users-api.mongoExpress.mongodbUrl" -}}
{{- printf "mongodb://%s:%s@%s:27017/?authSource=admin" (include "users-api.mongoExpress.escape" .username) (include "users-api.mongoExpress.escape" .password) .host }}
{{- end }}

{{/*
With mongodb.auth.existingSecret the chart never sees the root password, so mongo-express's
connection string is assembled by the kubelet from the raw value. Refuse, on install and
upgrade, a password that would need percent-encoding there. Takes the live Secret (empty
under `helm template`, which cannot look it up) and the root context.
*/}}
{{- define "users-api.mongoExpress.assertUrlSafePassword" -}}
{{- $key := .root.Values.mongodb.auth.secretKeys.rootPassword }}
{{- $password := get (.secret.data | default dict) $key | default "" | b64dec }}
{{- if regexMatch "[^A-Za-z0-9._~-]" $password }}
{{- fail (printf "mongoExpress.enabled: the root password in Secret %q (key %q) contains characters a connection string must percent-encode (such as @ : / %%), and with mongodb.auth.existingSecret the chart cannot encode it for mongo-express. Use only letters, digits and - . _ ~ in that password, or leave mongodb.auth.existingSecret empty: the chart's own Secret encodes any password." .root.Values.mongodb.auth.existingSecret $key) }}
{{- end }}
{{- end }}

{{- define "users-api.mongoExpress.fullname" -}}
{{- include "users-api.fitName" (dict "name" (printf "%s-mongo-express" (include "users-api.fullname" .)) "max" 63) }}
{{- end }}

{{- define "users-api.mongoExpress.selectorLabels" -}}
app.kubernetes.io/name: mongo-express
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "users-api.mongoExpress.labels" -}}
{{ include "users-api.mongoExpress.selectorLabels" . }}
app.kubernetes.io/component: admin-ui
{{ include "users-api.commonLabels" . }}
{{- end }}

{{/* ---------------------------------------------------------------- helm test */}}

{{- define "users-api.test.fullname" -}}
{{- include "users-api.fitName" (dict "name" (printf "%s-test-roundtrip" (include "users-api.fullname" .)) "max" 63) }}
{{- end }}

{{- define "users-api.test.selectorLabels" -}}
app.kubernetes.io/name: {{ include "users-api.fitName" (dict "name" (printf "%s-test" (include "users-api.name" .)) "max" 63) }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ---------------------------------------------------------------- migration Job */}}

{{/* Not the app's selector labels: the Service and the app's policies must not select it. */}}
{{- define "users-api.migration.selectorLabels" -}}
app.kubernetes.io/name: {{ include "users-api.fitName" (dict "name" (printf "%s-migrate" (include "users-api.name" .)) "max" 63) }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ---------------------------------------------------------------- auth */}}

{{/* ServiceAccount of the helm test pod: it authenticates with its own projected token. */}}
{{- define "users-api.test.serviceAccountName" -}}
{{- printf "%s-test" (include "users-api.fullname" . | trunc 58 | trimSuffix "-") }}
{{- end }}

{{/* AUTH_ROLES as JSON: auth.roles, plus the helm test ServiceAccount as writer in serviceAccount mode. */}}
{{- define "users-api.authRoles" -}}
{{- $roles := deepCopy .Values.auth.roles }}
{{- if eq .Values.auth.mode "serviceAccount" }}
{{- $_ := set $roles (printf "system:serviceaccount:%s:%s" .Release.Namespace (include "users-api.test.serviceAccountName" .)) "writer" }}
{{- end }}
{{- toJson $roles }}
{{- end }}

{{/* The Secret holding the API-key hash file, and its key. */}}
{{- define "users-api.apiKeysSecretName" -}}
{{- default (printf "%s-api-keys" (include "users-api.fullname" . | trunc 54 | trimSuffix "-")) .Values.auth.apiKeys.existingSecret }}
{{- end }}

{{- define "users-api.apiKeysSecretKey" -}}
{{- if .Values.auth.apiKeys.existingSecret }}{{ .Values.auth.apiKeys.existingSecretKey }}{{ else }}api-keys{{ end }}
{{- end }}

{{/* Where the app reads its own API-server token and CA (serviceAccount mode) and the key file. */}}
{{- define "users-api.kubeApiAccessPath" -}}/var/run/secrets/users-api/kubernetes{{- end }}
{{- define "users-api.apiKeysPath" -}}/etc/users-api/api-keys{{- end }}
