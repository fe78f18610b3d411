package drift_test

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/drift"
	"github.com/andon-governance/andon/manifest"
)

// MustDesired parses manifests as the manifest reader reads a file.
func MustDesired(tb testing.TB, yaml string) []*manifest.Object {
	tb.Helper()
	objs, err := manifest.Parse("desired.yaml", []byte(yaml))
	if err != nil {
		tb.Fatalf("parse desired: %v", err)
	}
	return objs
}

// MustLive decodes a JSON object as client-go's dynamic client does:
// integers as int64, other numbers as float64.
func MustLive(tb testing.TB, js string) map[string]any {
	tb.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON([]byte(js)); err != nil {
		tb.Fatalf("decode live: %v\n%s", err, js)
	}
	return u.Object
}

// field is a DriftField with its values as text, for readable wants.
type field struct {
	Path, Desired, Live string
	Redacted            bool
}

func fields(fs []andon.DriftField) []field {
	out := []field{}
	for _, f := range fs {
		out = append(out, field{f.Path, string(f.Desired), string(f.Live), f.Redacted})
	}
	return out
}

// deployment is the live Deployment the API server keeps for the desired
// one below: defaults filled in, server-set metadata, status.
const liveDeployment = `{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {
    "name": "odoo", "namespace": "odoo-lyon", "uid": "6f1c1b8e-6a43-4a51-9d35-0c1f2f1f0a11",
    "resourceVersion": "48213", "generation": 3, "creationTimestamp": "2026-11-02T08:00:00Z",
    "labels": {"app.kubernetes.io/name": "odoo", "team": "platform"},
    "annotations": {"deployment.kubernetes.io/revision": "3",
      "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\"}"},
    "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update"}]
  },
  "spec": {
    "replicas": 2, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
    "selector": {"matchLabels": {"app.kubernetes.io/name": "odoo"}},
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
    "template": {
      "metadata": {"labels": {"app.kubernetes.io/name": "odoo"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-03T10:00:00Z"}},
      "spec": {
        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30, "securityContext": {},
        "containers": [
          {"name": "odoo", "image": "registry.example.com/odoo/odoo-lyon:17.0-2026.11",
           "args": ["--workers=4", "--proxy-mode"],
           "ports": [{"name": "http", "containerPort": 8069, "protocol": "TCP"},
                     {"name": "longpolling", "containerPort": 8072, "protocol": "TCP"}],
           "env": [{"name": "PGHOST", "value": "pg-rw"}, {"name": "PGUSER", "value": "odoo"}],
           "resources": {"limits": {"cpu": "2", "memory": "4Gi"}, "requests": {"cpu": "500m", "memory": "1536Mi"}},
           "volumeMounts": [{"name": "filestore", "mountPath": "/var/lib/odoo"}],
           "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
           "imagePullPolicy": "IfNotPresent"}
        ],
        "volumes": [{"name": "filestore", "persistentVolumeClaim": {"claimName": "odoo-filestore"},
                     "emptyDir": null}]
      }
    }
  },
  "status": {"replicas": 2, "readyReplicas": 2, "observedGeneration": 3}
}`

// desiredDeployment is the manifest of liveDeployment, written as people
// write them: quantities in other units, numbers where the server keeps
// strings, zero values, and fields kubectl get -o yaml adds.
const desiredDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: odoo
  namespace: odoo-lyon
  labels: {app.kubernetes.io/name: odoo}
  creationTimestamp: null
  resourceVersion: "1"
spec:
  replicas: 2.0
  selector: {matchLabels: {app.kubernetes.io/name: odoo}}
  template:
    metadata:
      creationTimestamp: null
      labels: {app.kubernetes.io/name: odoo}
    spec:
      hostNetwork: false
      volumes:
        - name: filestore
          persistentVolumeClaim: {claimName: odoo-filestore}
      containers:
        - name: odoo
          image: registry.example.com/odoo/odoo-lyon:17.0-2026.11
          args: [--workers=4, --proxy-mode]
          ports:
            - {name: longpolling, containerPort: 8072}
            - {name: http, containerPort: 8069}
          env:
            - {name: PGUSER, value: odoo}
            - {name: PGHOST, value: pg-rw}
          resources:
            limits: {cpu: 2, memory: 4096Mi}
            requests: {cpu: 0.5, memory: 1.5Gi}
          volumeMounts:
            - {name: filestore, mountPath: /var/lib/odoo}
status: {replicas: 1}
`

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		// edit changes the desired manifest: old text to new.
		edit []string
		// live changes the live object: old text to new.
		live []string
		want []field
	}{
		{name: "as desired, written differently"},
		{
			name: "image",
			edit: []string{"odoo-lyon:17.0-2026.11", "odoo-lyon:17.0-2026.12"},
			want: []field{{Path: "spec.template.spec.containers[name=odoo].image",
				Desired: `"registry.example.com/odoo/odoo-lyon:17.0-2026.12"`, Live: `"registry.example.com/odoo/odoo-lyon:17.0-2026.11"`}},
		},
		{
			name: "replicas",
			live: []string{`"replicas": 2, "revision`, `"replicas": 3, "revision`},
			want: []field{{Path: "spec.replicas", Desired: `2`, Live: `3`}},
		},
		{
			name: "quantity that differs",
			edit: []string{"memory: 4096Mi", "memory: 8Gi"},
			want: []field{{Path: "spec.template.spec.containers[name=odoo].resources.limits.memory", Desired: `"8Gi"`, Live: `"4Gi"`}},
		},
		{
			name: "a container added live",
			live: []string{`"volumeMounts": [{"name": "filestore", "mountPath": "/var/lib/odoo"}],`,
				`"volumeMounts": [{"name": "filestore", "mountPath": "/var/lib/odoo"}]}, {"name": "debug", "image": "busybox",`},
			want: []field{{Path: "spec.template.spec.containers[name=debug]", Live: `{"image":"busybox","imagePullPolicy":"IfNotPresent","name":"debug","terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}`}},
		},
		{
			name: "an env var removed live",
			live: []string{`{"name": "PGUSER", "value": "odoo"}`, `{"name": "PGPORT", "value": "5432"}`},
			want: []field{
				{Path: "spec.template.spec.containers[name=odoo].env[name=PGUSER]", Desired: `{"name":"PGUSER","value":"odoo"}`},
				{Path: "spec.template.spec.containers[name=odoo].env[name=PGPORT]", Live: `{"name":"PGPORT","value":"5432"}`},
			},
		},
		{
			name: "a list compared by position",
			edit: []string{"args: [--workers=4, --proxy-mode]", "args: [--workers=8]"},
			want: []field{
				{Path: "spec.template.spec.containers[name=odoo].args[0]", Desired: `"--workers=8"`, Live: `"--workers=4"`},
				{Path: "spec.template.spec.containers[name=odoo].args[1]", Live: `"--proxy-mode"`},
			},
		},
		{
			name: "a label removed live",
			live: []string{`"labels": {"app.kubernetes.io/name": "odoo", "team": "platform"}`, `"labels": {"team": "platform"}`},
			want: []field{{Path: `metadata.labels["app.kubernetes.io/name"]`, Desired: `"odoo"`}},
		},
		{
			name: "a map where the live object has a string",
			edit: []string{"persistentVolumeClaim: {claimName: odoo-filestore}", "persistentVolumeClaim: {claimName: odoo-filestore}\n          emptyDir: {medium: Memory}"},
			want: []field{{Path: "spec.template.spec.volumes[name=filestore].emptyDir", Desired: `{"medium":"Memory"}`}},
		},
		{
			name: "a number where the live object has a string",
			edit: []string{"replicas: 2.0", `replicas: "2"`},
			want: []field{{Path: "spec.replicas", Desired: `"2"`, Live: `2`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := desiredDeployment
			for i := 0; i+1 < len(tt.edit); i += 2 {
				desired = mustReplace(t, desired, tt.edit[i], tt.edit[i+1])
			}
			live := liveDeployment
			for i := 0; i+1 < len(tt.live); i += 2 {
				live = mustReplace(t, live, tt.live[i], tt.live[i+1])
			}
			got := fields(drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live)))
			if diff := cmp.Diff(nonNil(tt.want), got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func mustReplace(tb testing.TB, s, old, new string) string {
	tb.Helper()
	if !strings.Contains(s, old) {
		tb.Fatalf("%q is not in the document", old)
	}
	return strings.Replace(s, old, new, 1)
}

func nonNil(fs []field) []field {
	if fs == nil {
		return []field{}
	}
	return fs
}

func TestDiffService(t *testing.T) {
	live := `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "odoo", "namespace": "odoo-lyon"},
	  "spec": {"type": "ClusterIP", "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"], "sessionAffinity": "None",
	    "selector": {"app": "odoo"},
	    "ports": [{"name": "http", "port": 8069, "protocol": "TCP", "targetPort": 8069},
	              {"name": "longpolling", "port": 8072, "protocol": "TCP", "targetPort": "longpolling"}]}}`
	tests := []struct {
		name, desired string
		want          []field
	}{
		{"ports as desired", `{name: http, port: 8069, targetPort: 8069}, {name: longpolling, port: 8072, targetPort: longpolling}`, nil},
		{"a port number is not a port name", `{name: http, port: 8069, targetPort: "8069"}, {name: longpolling, port: 8072, targetPort: longpolling}`,
			[]field{{Path: "spec.ports[name=http].targetPort", Desired: `"8069"`, Live: `8069`}}},
		{"a port name is not a number", `{name: http, port: 8069, targetPort: 8069}, {name: longpolling, port: 8072, targetPort: 8072}`,
			[]field{{Path: "spec.ports[name=longpolling].targetPort", Desired: `8072`, Live: `"longpolling"`}}},
		{"unnamed ports compare by position", `{port: 8069}`,
			[]field{{Path: "spec.ports[1]", Live: `{"name":"longpolling","port":8072,"protocol":"TCP","targetPort":"longpolling"}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := "apiVersion: v1\nkind: Service\nmetadata: {name: odoo}\nspec:\n  selector: {app: odoo}\n  ports: [" + tt.desired + "]\n"
			got := fields(drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live)))
			if diff := cmp.Diff(nonNil(tt.want), got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffQuantities(t *testing.T) {
	tests := []struct {
		desired, live string
		equal         bool
	}{
		{`1Gi`, `"1Gi"`, true},
		{`1024Mi`, `"1Gi"`, true},
		{`"1073741824"`, `"1Gi"`, true},
		{`1073741824`, `"1Gi"`, true},
		{`0.5`, `"500m"`, true},
		{`"0.5"`, `"500m"`, true},
		{`1`, `"1"`, true},
		{`1000m`, `"1"`, true},
		{`2`, `"1"`, false},
		{`1G`, `"1Gi"`, false},
	}
	for _, tt := range tests {
		desired := "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {requests.memory: " + tt.desired + "}}\n"
		live := `{"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {"requests.memory": ` + tt.live + `}}}`
		got := drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live))
		if (len(got) == 0) != tt.equal {
			t.Errorf("desired %s, live %s: fields %v, want equal %v", tt.desired, tt.live, fields(got), tt.equal)
		}
	}
	// Outside resource fields, "1" and "1.0" are different strings.
	desired := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {workers: \"1.0\"}\n"
	live := `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"workers": "1"}}`
	if got := drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live)); len(got) != 1 {
		t.Errorf("ConfigMap data 1.0 and 1: fields %v, want one", fields(got))
	}
}

func TestDiffIgnores(t *testing.T) {
	// A manifest exported with kubectl get -o yaml: server-set metadata,
	// status, and the annotations of kubectl and the Deployment
	// controller, all with other values than the live object's.
	desired := `
apiVersion: v1
kind: ConfigMap
metadata:
  name: odoo-conf
  namespace: odoo-lyon
  uid: 00000000-0000-0000-0000-000000000000
  resourceVersion: "1"
  generation: 1
  creationTimestamp: "2020-01-01T00:00:00Z"
  selfLink: /api/v1/namespaces/odoo-lyon/configmaps/odoo-conf
  managedFields: [{manager: kubectl}]
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
    deployment.kubernetes.io/revision: "1"
    release-date: 2026-11-02
data: {workers: "4"}
status: {phase: whatever}
`
	live := `{"apiVersion": "v1", "kind": "ConfigMap",
	  "metadata": {"name": "odoo-conf", "namespace": "odoo-lyon", "uid": "8c0d", "resourceVersion": "77",
	    "creationTimestamp": "2026-11-02T08:00:00Z", "managedFields": [{"manager": "kubectl-client-side-apply"}],
	    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{}}", "release-date": "2026-11-02",
	      "owner": "platform"}},
	  "data": {"workers": "4", "extra": "live only"}}`
	if got := drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live)); len(got) != 0 {
		t.Errorf("Diff = %v, want no fields", fields(got))
	}
}

func TestDiffSecrets(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	live := `{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
	  "metadata": {"name": "odoo-db", "namespace": "odoo-lyon",
	    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"stringData\":{\"password\":\"s3cret-live\"}}"}},
	  "data": {"password": "` + b64("s3cret-live") + `", "user": "` + b64("odoo") + `"}}`
	tests := []struct {
		name, desired string
		want          []field
	}{
		{"stringData as live", "stringData: {password: s3cret-live, user: odoo}", nil},
		{"data as live", "data: {password: " + b64("s3cret-live") + "}", nil},
		{"stringData wins over data", "data: {password: " + b64("old") + "}\nstringData: {password: s3cret-live}", nil},
		{"changed", "stringData: {password: s3cret-desired}",
			[]field{{Path: "data.password", Desired: `"(redacted)"`, Live: `"(redacted)"`, Redacted: true}}},
		{"missing live", "data: {password: " + b64("s3cret-live") + ", api-key: " + b64("s3cret-key") + "}",
			[]field{{Path: "data.api-key", Desired: `"(redacted)"`, Redacted: true}}},
		{"other fields are shown", "type: kubernetes.io/basic-auth\nstringData: {password: s3cret-live}",
			[]field{{Path: "type", Desired: `"kubernetes.io/basic-auth"`, Live: `"Opaque"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := "apiVersion: v1\nkind: Secret\nmetadata: {name: odoo-db}\n" + tt.desired + "\n"
			got := drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live))
			if diff := cmp.Diff(nonNil(tt.want), fields(got)); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
			b, _ := json.Marshal(got)
			for _, secret := range []string{"s3cret", b64("s3cret-live"), b64("s3cret-desired"), b64("s3cret-key")} {
				if strings.Contains(string(b), secret) {
					t.Errorf("the fields show a Secret's value %q: %s", secret, b)
				}
			}
		})
	}
}

// Secrets outside a Secret: an environment variable named as a password,
// a password set in the odoo.conf of a ConfigMap. They are compared, and
// their values never shown; a Secret's name is no secret.
func TestDiffSecretsElsewhere(t *testing.T) {
	live := `{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "odoo", "namespace": "odoo-lyon"},
	  "spec": {"template": {"spec": {
	    "containers": [{"name": "odoo", "env": [{"name": "DB_PASSWORD", "value": "LIVE-s3cret"}, {"name": "WORKERS", "value": "2"}]}],
	    "volumes": [{"name": "conf", "secret": {"secretName": "odoo-conf-live"}}]}}}}`
	desired := `apiVersion: apps/v1
kind: Deployment
metadata: {name: odoo}
spec:
  template:
    spec:
      containers:
        - name: odoo
          env: [{name: DB_PASSWORD, value: DESIRED-s3cret}, {name: WORKERS, value: "4"}]
      volumes: [{name: conf, secret: {secretName: odoo-conf}}]
`
	got := drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live))
	want := []field{
		{Path: "spec.template.spec.containers[name=odoo].env[name=DB_PASSWORD].value", Desired: `"(redacted)"`, Live: `"(redacted)"`, Redacted: true},
		{Path: "spec.template.spec.containers[name=odoo].env[name=WORKERS].value", Desired: `"4"`, Live: `"2"`},
		{Path: "spec.template.spec.volumes[name=conf].secret.secretName", Desired: `"odoo-conf"`, Live: `"odoo-conf-live"`},
	}
	if diff := cmp.Diff(want, fields(got)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}

	conf := func(pw string) string {
		return "[options]\nadmin_passwd = " + pw + "\ndb_host = db\nworkers = 2\n"
	}
	liveConf := `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odoo-conf", "namespace": "odoo-lyon"},
	  "data": {"odoo.conf": ` + strconv.Quote(conf("LIVE-s3cret")) + `}}`
	desiredConf := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: odoo-conf}\ndata:\n  odoo.conf: " + strconv.Quote(conf("DESIRED-s3cret")) + "\n"
	got = drift.Diff(MustDesired(t, desiredConf)[0].Doc, MustLive(t, liveConf))
	b, _ := json.Marshal(got)
	if len(got) != 1 || strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), "admin_passwd = (redacted)") {
		t.Errorf("odoo.conf with another admin_passwd: %s; want one field, the line kept and no value shown", b)
	}
}

// Whatever part of a long odoo.conf a report shows, the line that sets
// admin_passwd shows no value, and the server takes the report: its check
// of such lines and the differ's redaction agree, also where the value is
// cut short in the middle of the redaction.
func TestDiffRedactedConfigurationIsAccepted(t *testing.T) {
	for pad := 0; pad < 2*maxShownForTest; pad += 3 {
		conf := func(workers, pw string) string {
			return "workers = " + workers + "\n" + strings.Repeat("#", pad) + "\nadmin_passwd = " + pw + "\n"
		}
		desired := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: odoo-conf}\ndata:\n  odoo.conf: " + strconv.Quote(conf("2", "DESIRED-s3cret")) + "\n"
		live := `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odoo-conf", "namespace": "odoo-lyon"},
		  "data": {"odoo.conf": ` + strconv.Quote(conf("3", "LIVE-s3cret")) + `}}`
		got := drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live))
		if b, _ := json.Marshal(got); strings.Contains(string(b), "s3cret") {
			t.Fatalf("padding %d: the fields show the password: %s", pad, b)
		}
		r := andon.DriftReport{Environment: "prod-lyon", Namespace: "odoo-lyon", Desired: andon.DriftSource{Path: "deploy"},
			Counts:  andon.DriftCounts{Changed: 1},
			Objects: []andon.DriftObject{{Drift: andon.DriftChanged, APIVersion: "v1", Kind: "ConfigMap", Name: "odoo-conf", Fields: got}}}
		if err := r.Validate(); err != nil {
			t.Fatalf("padding %d: the server refuses the report: %v; fields %v", pad, err, fields(got))
		}
	}
}

// maxShownForTest is about the length of a value a report shows in full.
const maxShownForTest = 200

func TestDiffShortensLongValues(t *testing.T) {
	long := strings.Repeat("x", 300)
	desired := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {script: " + long + "a" + long + "}\n"
	live := `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"script": "` + long + "b" + long + `"}}`
	got := drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live))
	if len(got) != 1 {
		t.Fatalf("fields = %v, want one", fields(got))
	}
	var d, l string
	if err := json.Unmarshal(got[0].Desired, &d); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got[0].Live, &l); err != nil {
		t.Fatal(err)
	}
	if len(got[0].Desired) > 200 || !strings.Contains(d, "xa") || !strings.Contains(l, "xb") || !strings.HasPrefix(d, "…") || !strings.HasSuffix(d, "…") {
		t.Errorf("shortened values = %s, %s; want both around the difference, marked as cut", got[0].Desired, got[0].Live)
	}
}

// A field named as a secret whose value is too long to show is summed up
// in text ("{…3 fields}"), which the server refuses for such a field as it
// would a password: the report hides it, and the server takes the report.
func TestDiffSecretNamedSummaryIsRedacted(t *testing.T) {
	live := `{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "odoo", "namespace": "odoo-lyon"},
	  "spec": {"template": {"spec": {"volumes": [{"name": "conf", "configMap": {"name": "odoo-conf"}}]}}}}`
	desired := `apiVersion: apps/v1
kind: Deployment
metadata: {name: odoo}
spec:
  template:
    spec:
      volumes:
        - name: conf
          secret:
            secretName: odoo-configuration-of-the-lyon-plant
            defaultMode: 0400
            items: [{key: odoo.conf, path: odoo.conf}, {key: odoo-workers.conf, path: conf.d/workers.conf}, {key: odoo-mail.conf, path: conf.d/mail.conf}]
`
	got := drift.Diff(MustDesired(t, desired)[0].Doc, MustLive(t, live))
	var secret *andon.DriftField
	for i := range got {
		if strings.HasSuffix(got[i].Path, ".secret") {
			secret = &got[i]
		}
	}
	if secret == nil || !secret.Redacted || string(secret.Desired) != `"(redacted)"` {
		t.Fatalf("fields %+v; want the volume's secret redacted", fields(got))
	}
	r := andon.DriftReport{Environment: "prod-lyon", Namespace: "odoo-lyon", Desired: andon.DriftSource{Path: "."},
		Counts:  andon.DriftCounts{Changed: 1},
		Objects: []andon.DriftObject{{Drift: andon.DriftChanged, APIVersion: "apps/v1", Kind: "Deployment", Name: "odoo", Fields: got}}}
	if err := r.Validate(); err != nil {
		t.Errorf("the report of the diff is refused: %v", err)
	}
}
