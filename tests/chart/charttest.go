// Chart test: renders every template of helm/mailcluster as helm would (Go text/template, sprig,
// and the few helm functions the chart uses), for several value sets, validates each value set
// against values.schema.json with a JSON-schema library, and checks the rendered documents. There
// is no helm binary or Kubernetes here: this checks rendering, not an install.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run tests/chart/charttest.go [--summary VALUES.yaml]
//
// Ends with a line in VSTest's summary format, which tests/run-all.sh counts with the others.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"
)

const chartDir = "helm/mailcluster"

type valueSet struct {
	name      string
	overrides string
}

// The value sets every check runs on: the defaults and the shapes users deploy.
var valueSets = []valueSet{
	{"default (3 silos, storage from a Secret)", `cluster: {storage: {existingSecret: azure-storage}}`},
	{"1 silo, storage from a connection string", `replicas: 1
cluster: {storage: {connectionString: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5;EndpointSuffix=core.windows.net"}}`},
	{"5 silos with submission, TLS, DKIM and monitoring", `replicas: 5
cluster: {storage: {existingSecret: azure-storage}}
submission: {enabled: true, credentials: {lines: ["alice:pbkdf2-sha256$600000$c2FsdA==$aGFzaA==:example.com,news.example.com:1000:100"]}}
tls: {existingSecret: mail-tls}
admin: {token: "0123456789abcdef0123"}
dkim:
  keys:
    - {domain: example.com, selector: rsa2026, algorithm: rsa-sha256, privateKey: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"}
    - {domain: example.com, selector: ed2026, algorithm: ed25519-sha256, privateKey: "-----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----\n"}
  fallbackDomain: example.com
metrics: {serviceMonitor: {enabled: true}, prometheusRule: {enabled: true}, grafanaDashboard: {enabled: true}}`},
	{"azurite on (trying the chart out)", `azurite: {enabled: true}
admin: {existingSecret: admin-token}`},
	{"azurite off, 2 silos, own grace margin", `replicas: 2
azurite: {enabled: false}
cluster: {storage: {existingSecret: azure-storage, existingSecretKey: conn}}
smtp: {drainTimeout: "00:01:00"}
retryTier: {handOffTimeout: "00:02:30"}
terminationGraceMarginSeconds: 20`},
	{"trusted senders behind a Cluster-policy load balancer, no NetworkPolicy", `cluster: {storage: {existingSecret: azure-storage}}
smtp: {trustedNetworks: "10.1.0.0/16", externalTrafficPolicy: Cluster}
networkPolicy: {enabled: false}`},
	{"trusted senders on a Local load balancer, submission, metrics from a monitoring namespace", `cluster: {storage: {existingSecret: azure-storage}}
smtp: {trustedNetworks: "192.0.2.0/24, 2001:db8::/32"}
submission: {enabled: true, credentials: {existingSecret: mail-credentials}}
tls: {existingSecret: mail-tls}
networkPolicy:
  allowedNamespaceLabels: {kubernetes.io/metadata.name: monitoring}
  allowedPodLabels: {app.kubernetes.io/name: prometheus}
  extraFrom:
    - ipBlock: {cidr: 198.51.100.0/24}
    - namespaceSelector: {matchLabels: {team: mail-ops}}
      podSelector: {matchLabels: {app: mailctl}}`},
	{"azurite on, metrics from a Prometheus in any namespace", `azurite: {enabled: true}
replicas: 2
networkPolicy: {allowedPodLabels: {app.kubernetes.io/name: prometheus}}`},
	{"egress sources through SOCKS5 proxies and a bound address, two pools", `cluster: {storage: {existingSecret: azure-storage}}
egress:
  sources:
    - {name: ip1, address: "203.0.113.10", ehloName: mta1.example.com, socks5: "10.0.0.5:1080"}
    - {name: ip2, address: "203.0.113.11", ehloName: mta2.example.com, socks5: "10.0.0.6:1080"}
    - {name: local, address: "2001:db8::25"}
    - {name: fresh, address: "203.0.113.12", warmUp: {start: "2026-12-01", days: [{day: 1, perDay: 200, perHour: 50}, {day: 3, perDay: 1000}, {day: 1, perDay: 100, provider: gmail}]}}
  pools:
    - {name: bulk, overflow: hold, sources: [{name: ip1, weight: 1}, {name: ip2, weight: 2}, {name: fresh}]}
    - {name: transactional, sources: [{name: local}]}
  defaultPool: bulk`},
	{"delivery events to two webhooks, one with a private CA, one from an existing Secret", `cluster: {storage: {existingSecret: azure-storage}}
fbl: {addresses: "fbl@example.com, jmrp@example.com"}
events:
  maxBacklogBytes: 536870912
  sinks:
    - {name: crm, url: "https://hooks.example.com/mail", secret: "0123456789abcdef-crm", caCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", kinds: "Delivery, Bounce", batchSize: 500, timeout: "00:00:10"}
    - {name: audit, url: "https://audit.example.com/in", secret: "0123456789abcdef-audit", users: "alice,bob", pools: bulk, retryInitial: "00:00:02", retryMax: "00:10:00"}
    - {name: broker, type: amqp, url: "amqps://mail@rabbit.example.com:5671/events", secret: "broker-password-0123", exchange: mail.events}`},
	{"egress through the chart's Dante DaemonSet on the sending nodes", `cluster: {storage: {existingSecret: azure-storage}}
egress:
  sources:
    - {name: node-a, address: "203.0.113.20", socks5: "10.0.1.4:1080"}
    - {name: node-b, address: "203.0.113.21", socks5: "10.0.1.5:1080"}
  pools: [{name: all, sources: [{name: node-a}, {name: node-b}]}]
  dante: {enabled: true, image: "registry.example.com/dante:1.4.2", external: eth1, allowedClients: "10.244.0.0/16", nodeSelector: {mail.example.com/egress: "true"}}`},
}

// Value sets the schema must refuse, with the reason.
var badValueSets = []valueSet{
	{"no silo", `replicas: 0`},
	{"a serviceId with a hyphen (mail-a and maila would share one retry tier)", `cluster: {serviceId: mail-a}`},
	{"a drain timeout not in hh:mm:ss", `smtp: {drainTimeout: "30s"}`},
	{"an unknown service type", `smtp: {serviceType: Ingress}`},
	{"a submission port below 1024 in the container", `submission: {enabled: true, containerPort: 587}`},
	{"a misspelt key", `replica: 3`},
	{"an admin token shorter than 16 characters", `admin: {token: short}`},
	{"a DKIM key without a selector", `dkim: {keys: [{domain: example.com}]}`},
	{"an unknown DKIM algorithm", `dkim: {keys: [{domain: example.com, selector: s, algorithm: rsa-sha1}]}`},
	{"a trusted network that is not a CIDR list", `smtp: {trustedNetworks: anywhere}`},
	{"an unknown externalTrafficPolicy", `smtp: {externalTrafficPolicy: Global}`},
	{"networkPolicy.enabled not a boolean", `networkPolicy: {enabled: "yes"}`},
	{"a label value that is not a string", `networkPolicy: {allowedNamespaceLabels: {team: {name: monitoring}}}`},
	{"an extraFrom entry that is not a NetworkPolicyPeer", `networkPolicy: {extraFrom: [{cidr: 192.0.2.0/24}]}`},
	{"an egress source name with a space", `egress: {sources: [{name: "ip 1", address: "203.0.113.10"}]}`},
	{"an egress pool weight of zero", `egress: {sources: [{name: ip1, address: "203.0.113.10"}], pools: [{name: bulk, sources: [{name: ip1, weight: 0}]}]}`},
	{"a SOCKS5 proxy without a port", `egress: {sources: [{name: ip1, socks5: "10.0.0.5"}]}`},
	{"the Dante DaemonSet without an image", `egress: {dante: {enabled: true}}`},
	{"a warm-up without its start date", `egress: {sources: [{name: ip1, address: "203.0.113.10", warmUp: {days: [{day: 1, perDay: 100}]}}]}`},
	{"a feedback-loop address without a domain", `fbl: {addresses: "fbl"}`},
	{"an event webhook over plain http", `events: {sinks: [{name: crm, url: "http://hooks.example.com/mail", secret: "0123456789abcdef-crm"}]}`},
	{"an event sink filtering on an unknown type", `events: {sinks: [{name: crm, url: "https://hooks.example.com/mail", secret: "0123456789abcdef-crm", kinds: "Delivered"}]}`},
	{"a pool overflow that is neither spread nor hold", `egress: {sources: [{name: ip1, address: "203.0.113.10"}], pools: [{name: bulk, overflow: drop, sources: [{name: ip1}]}]}`},
}

// Environment variables the pod sets that are not configuration keys of the silo.
var processEnv = map[string]bool{"POD_NAME": true, "POD_IP": true, "TMPDIR": true, "MAILCTL_URL": true, "MAILCTL_TOKEN": true}

var passed, failed int

func check(name string, err error) {
	if err != nil {
		failed++
		fmt.Printf("FAIL %s: %v\n", name, err)
		return
	}
	passed++
	fmt.Printf("ok   %s\n", name)
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "--summary" {
		overrides, err := os.ReadFile(os.Args[2])
		must(err)
		docs, notes, err := render(mustValues(string(overrides)))
		must(err)
		summarize(docs, notes)
		return
	}
	readmeKeys := configurationKeys()
	check("README's configuration table can be read", func() error {
		if len(readmeKeys) < 50 {
			return fmt.Errorf("only %d keys found in README.md's table", len(readmeKeys))
		}
		return nil
	}())
	for _, set := range valueSets {
		values, err := values(set.overrides)
		check(set.name+": values parse", err)
		if err != nil {
			continue
		}
		check(set.name+": values pass values.schema.json", validate(values))
		docs, notes, err := render(values)
		check(set.name+": every template renders", err)
		if err != nil {
			continue
		}
		checkDocuments(set.name, values, docs, notes, readmeKeys)
	}
	check("values.yaml trusts no network (Smtp__TrustedNetworks rendered empty), keeps client addresses (Local), renders one NetworkPolicy and no open-relay warning", checkDefaults())
	for _, set := range badValueSets {
		values, err := values(set.overrides)
		if err == nil {
			err = validate(values)
			if err == nil {
				err = fmt.Errorf("the schema accepted it")
			} else {
				fmt.Printf("     (refused: %v)\n", err)
				err = nil
			}
		}
		check("schema refuses "+set.name, err)
	}
	for _, file := range [][2]string{
		{"files/alerts.yml", "deploy/prometheus/alerts.yml"},
		{"files/mailcluster-dashboard.json", "deploy/grafana/mailcluster-dashboard.json"},
		{"files/shaping.json", "deploy/shaping/mailbox-providers.json"},
		{"files/response-rules.json", "deploy/response-rules.json"},
	} {
		check("chart's "+file[0]+" equals "+file[1], sameFile(filepath.Join(chartDir, file[0]), file[1]))
	}
	check("chart README lists every value", readmeListsValues())
	check("chart README says it is checked by rendering, not by installing", func() error {
		text, _ := os.ReadFile(filepath.Join(chartDir, "README.md"))
		if !strings.Contains(string(text), "checked by rendering") {
			return fmt.Errorf("no such sentence")
		}
		return nil
	}())
	fmt.Printf("%s!  - Failed: %d, Passed: %d, Skipped: 0, Total: %d - chart test (helm/mailcluster rendered with text/template and sprig)\n",
		map[bool]string{true: "Passed", false: "Failed"}[failed == 0], failed, passed, passed+failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

// values: values.yaml with the overrides merged in, as helm reads them (sigs.k8s.io/yaml: through JSON).
func values(overrides string) (map[string]interface{}, error) {
	base := map[string]interface{}{}
	text, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(text, &base); err != nil {
		return nil, err
	}
	over := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(overrides), &over); err != nil {
		return nil, err
	}
	merge(base, over)
	return base, nil
}

func mustValues(overrides string) map[string]interface{} {
	v, err := values(overrides)
	must(err)
	return v
}

// merge: maps merge key by key, anything else replaces (helm's coalescing of user values).
func merge(into, from map[string]interface{}) {
	for k, v := range from {
		if sub, ok := v.(map[string]interface{}); ok {
			if target, ok := into[k].(map[string]interface{}); ok {
				merge(target, sub)
				continue
			}
		}
		into[k] = v
	}
}

func validate(values map[string]interface{}) error {
	schema, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewGoLoader(values))
	if err != nil {
		return err
	}
	if !result.Valid() {
		var problems []string
		for _, e := range result.Errors() {
			problems = append(problems, e.String())
		}
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// files is .Files: the chart's files, by path inside the chart.
type files map[string][]byte

func (f files) Get(name string) string { return string(f[name]) }

func (f files) Glob(pattern string) files {
	matched := files{}
	for name, content := range f {
		if ok, _ := path.Match(pattern, name); ok {
			matched[name] = content
		}
	}
	return matched
}

// render: every template as helm renders it; the documents of the manifest files, and NOTES.txt.
func render(values map[string]interface{}) ([]map[string]interface{}, string, error) {
	chart := map[string]interface{}{}
	text, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return nil, "", err
	}
	if err := yaml.Unmarshal(text, &chart); err != nil {
		return nil, "", err
	}
	chartFiles := files{}
	err = filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(chartDir, p)
			chartFiles[filepath.ToSlash(rel)], err = os.ReadFile(p)
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	root := template.New("chart").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var out bytes.Buffer
		err := root.ExecuteTemplate(&out, name, data)
		return out.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var out bytes.Buffer
		err = t.Execute(&out, data)
		return out.String(), err
	}
	funcs["required"] = func(message string, value interface{}) (interface{}, error) {
		if value == nil || value == "" {
			return nil, fmt.Errorf("%s", message)
		}
		return value, nil
	}
	funcs["toYaml"] = func(v interface{}) string {
		out, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(out), "\n")
	}
	funcs["fromYaml"] = func(text string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(text), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		out, _ := yaml.YAMLToJSON([]byte(funcs["toYaml"].(func(interface{}) string)(v)))
		return string(out)
	}
	root.Funcs(funcs)
	var names []string
	for name, content := range chartFiles {
		if strings.HasPrefix(name, "templates/") {
			full := path.Join("mailcluster", name)
			if _, err := root.New(full).Parse(string(content)); err != nil {
				return nil, "", err
			}
			names = append(names, full)
		}
	}
	sort.Strings(names)
	data := map[string]interface{}{
		"Values":       values,
		"Release":      map[string]interface{}{"Name": "mail", "Namespace": "mail", "Service": "Helm", "IsInstall": true},
		"Chart":        map[string]interface{}{"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]},
		"Capabilities": map[string]interface{}{"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30"}},
		"Template":     map[string]interface{}{"BasePath": "mailcluster/templates"},
		"Files":        chartFiles,
	}
	var docs []map[string]interface{}
	notes := ""
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		data["Template"].(map[string]interface{})["Name"] = name
		var out bytes.Buffer
		if err := root.ExecuteTemplate(&out, name, data); err != nil {
			return nil, "", err
		}
		rendered := strings.ReplaceAll(out.String(), "<no value>", "")
		if strings.HasSuffix(name, "NOTES.txt") {
			notes = rendered
			continue
		}
		for _, part := range regexp.MustCompile(`(?m)^---\s*$`).Split(rendered, -1) {
			var doc map[string]interface{}
			if err := yamlv3.Unmarshal([]byte(part), &doc); err != nil {
				return nil, "", fmt.Errorf("%s does not parse as YAML: %v\n%s", name, err, part)
			}
			if doc != nil {
				doc["#template"] = name
				docs = append(docs, doc)
			}
		}
	}
	return docs, notes, nil
}

func get(doc interface{}, keys ...string) interface{} {
	for _, k := range keys {
		m, ok := doc.(map[string]interface{})
		if !ok {
			return nil
		}
		doc = m[k]
	}
	return doc
}

func list(v interface{}) []interface{} {
	l, _ := v.([]interface{})
	return l
}

func str(v interface{}) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func byKind(docs []map[string]interface{}, kind string) []map[string]interface{} {
	var found []map[string]interface{}
	for _, d := range docs {
		if d["kind"] == kind {
			found = append(found, d)
		}
	}
	return found
}

func checkDocuments(set string, values map[string]interface{}, docs []map[string]interface{}, notes string, readmeKeys map[string]bool) {
	check(set+": every document has apiVersion, kind, metadata.name and the standard labels", func() error {
		for _, d := range docs {
			name := str(get(d, "metadata", "name"))
			if str(d["apiVersion"]) == "" || str(d["kind"]) == "" || name == "" {
				return fmt.Errorf("%s: a document without apiVersion, kind or name", d["#template"])
			}
			for _, label := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "app.kubernetes.io/component", "helm.sh/chart"} {
				if str(get(d, "metadata", "labels", label)) == "" {
					return fmt.Errorf("%s %s has no label %s", d["kind"], name, label)
				}
			}
		}
		return nil
	}())
	sets := byKind(docs, "StatefulSet")
	check(set+": one StatefulSet of silos with a volume claim for the spool", func() error {
		if len(sets) != 1 {
			return fmt.Errorf("%d StatefulSets", len(sets))
		}
		if str(get(sets[0], "spec", "replicas")) != str(values["replicas"]) {
			return fmt.Errorf("replicas %v, values say %v", get(sets[0], "spec", "replicas"), values["replicas"])
		}
		claims := list(get(sets[0], "spec", "volumeClaimTemplates"))
		if len(claims) != 1 || str(get(claims[0], "metadata", "name")) != "spool" {
			return fmt.Errorf("volume claims %v", claims)
		}
		return nil
	}())
	if len(sets) != 1 {
		return
	}
	pod := get(sets[0], "spec", "template", "spec")
	container := list(get(pod, "containers"))[0]
	env := map[string]interface{}{}
	for _, e := range list(get(container, "env")) {
		env[str(get(e, "name"))] = e
	}
	check(set+": every configuration key the silo is given is in README's table", func() error {
		var unknown []string
		for name := range env {
			if processEnv[name] {
				continue
			}
			key := regexp.MustCompile(`:[0-9]+:`).ReplaceAllString(strings.ReplaceAll(name, "__", ":"), ":N:")
			if !readmeKeys[key] {
				unknown = append(unknown, name+" ("+key+")")
			}
		}
		sort.Strings(unknown)
		if len(unknown) > 0 {
			return fmt.Errorf("not in README.md: %s", strings.Join(unknown, ", "))
		}
		return nil
	}())
	check(set+": Orleans gets POD_IP, POD_NAME, ClusterId and ServiceId", func() error {
		for name, want := range map[string]string{"Cluster__AdvertisedAddress": "$(POD_IP)", "Cluster__SiloName": "$(POD_NAME)", "Cluster__Mode": "AzureStorage"} {
			if str(get(env[name], "value")) != want {
				return fmt.Errorf("%s is %v", name, get(env[name], "value"))
			}
		}
		if str(get(env["POD_IP"], "valueFrom", "fieldRef", "fieldPath")) != "status.podIP" || str(get(env["POD_NAME"], "valueFrom", "fieldRef", "fieldPath")) != "metadata.name" {
			return fmt.Errorf("POD_IP or POD_NAME not from the downward API")
		}
		if str(get(env["Cluster__ServiceId"], "value")) != str(get(values, "cluster", "serviceId")) || str(get(env["Cluster__ClusterId"], "value")) != str(get(values, "cluster", "clusterId")) {
			return fmt.Errorf("ClusterId or ServiceId not from values")
		}
		return nil
	}())
	azurite := get(values, "azurite", "enabled") == true
	check(set+": the storage connection string comes from a Secret, or from the chart's Azurite", func() error {
		conn := env["Cluster__ConnectionString"]
		if azurite {
			if !strings.Contains(str(get(conn, "value")), "http://mail-azurite:10001/devstoreaccount1") {
				return fmt.Errorf("silos do not point at the chart's Azurite: %v", conn)
			}
			return nil
		}
		secret := str(get(conn, "valueFrom", "secretKeyRef", "name"))
		if secret == "" {
			return fmt.Errorf("not from a Secret: %v", conn)
		}
		if existing := str(get(values, "cluster", "storage", "existingSecret")); existing != "" {
			if secret != existing {
				return fmt.Errorf("Secret %s, values name %s", secret, existing)
			}
			return nil
		}
		for _, s := range byKind(docs, "Secret") {
			if str(get(s, "metadata", "name")) == secret && str(get(s, "stringData", "connectionString")) != "" {
				return nil
			}
		}
		return fmt.Errorf("Secret %s is not rendered", secret)
	}())
	check(set+": Azurite (Recreate, 0.0.0.0, --disableProductStyleUrl, a PVC) only when enabled, and NOTES say it is not production storage", func() error {
		deployments := byKind(docs, "Deployment")
		if !azurite {
			if len(deployments) != 0 {
				return fmt.Errorf("a Deployment without azurite.enabled")
			}
			return nil
		}
		if len(deployments) != 1 || str(get(deployments[0], "spec", "strategy", "type")) != "Recreate" {
			return fmt.Errorf("Azurite's Deployment must be one, strategy Recreate")
		}
		args := fmt.Sprint(get(list(get(deployments[0], "spec", "template", "spec", "containers"))[0], "args"))
		if !strings.Contains(args, "--disableProductStyleUrl") || strings.Count(args, "0.0.0.0") != 3 {
			return fmt.Errorf("Azurite's args %s", args)
		}
		if len(byKind(docs, "PersistentVolumeClaim")) != 1 || !strings.Contains(notes, "NOT production storage") {
			return fmt.Errorf("no PVC, or NOTES do not warn")
		}
		return nil
	}())
	check(set+": Dante only with egress.dante.enabled: a DaemonSet on the host network sending from egress.dante.external, serving only allowedClients", func() error {
		dante := get(values, "egress", "dante")
		sets := byKind(docs, "DaemonSet")
		if fmt.Sprint(get(dante, "enabled")) != "true" {
			if len(sets) != 0 {
				return fmt.Errorf("a DaemonSet without egress.dante.enabled")
			}
			return nil
		}
		if len(sets) != 1 || fmt.Sprint(get(sets[0], "spec", "template", "spec", "hostNetwork")) != "true" {
			return fmt.Errorf("Dante must be one DaemonSet with hostNetwork")
		}
		var config string
		for _, m := range byKind(docs, "ConfigMap") {
			if c := str(get(m, "data", "danted.conf")); c != "" {
				config = c
			}
		}
		for _, want := range []string{"external: " + str(get(dante, "external")), "from: " + str(get(dante, "allowedClients")) + " to:", "socksmethod: none"} {
			if !strings.Contains(config, want) {
				return fmt.Errorf("danted.conf lacks %q:\n%s", want, config)
			}
		}
		return nil
	}())
	check(set+": probes: readiness /readyz, liveness /healthz", func() error {
		if str(get(container, "readinessProbe", "httpGet", "path")) != "/readyz" || str(get(container, "livenessProbe", "httpGet", "path")) != "/healthz" {
			return fmt.Errorf("readiness %v, liveness %v", get(container, "readinessProbe"), get(container, "livenessProbe"))
		}
		return nil
	}())
	check(set+": grace period is Smtp:DrainTimeout + RetryTier:HandOffTimeout + margin", func() error {
		seconds := func(t string) int {
			var h, m, s int
			fmt.Sscanf(t, "%d:%d:%d", &h, &m, &s)
			return h*3600 + m*60 + s
		}
		want := seconds(str(get(env["Smtp__DrainTimeout"], "value"))) + seconds(str(get(env["RetryTier__HandOffTimeout"], "value")))
		got := 0
		fmt.Sscan(str(get(pod, "terminationGracePeriodSeconds")), &got)
		if got <= want || got != want+int(values["terminationGraceMarginSeconds"].(float64)) {
			return fmt.Errorf("grace %d s for drain + hand-off %d s", got, want)
		}
		return nil
	}())
	check(set+": non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, /tmp a volume", func() error {
		if get(pod, "securityContext", "runAsNonRoot") != true || str(get(pod, "securityContext", "seccompProfile", "type")) != "RuntimeDefault" {
			return fmt.Errorf("pod securityContext %v", get(pod, "securityContext"))
		}
		if get(container, "securityContext", "readOnlyRootFilesystem") != true || fmt.Sprint(get(container, "securityContext", "capabilities", "drop")) != "[ALL]" ||
			get(container, "securityContext", "allowPrivilegeEscalation") != false {
			return fmt.Errorf("container securityContext %v", get(container, "securityContext"))
		}
		for _, m := range list(get(container, "volumeMounts")) {
			if str(get(m, "mountPath")) == "/tmp" {
				return nil
			}
		}
		return fmt.Errorf("no volume at /tmp")
	}())
	check(set+": a PodDisruptionBudget only with more than one silo; rolling updates one pod at a time", func() error {
		replicas := int(values["replicas"].(float64))
		if pdbs := byKind(docs, "PodDisruptionBudget"); (len(pdbs) == 1) != (replicas > 1) {
			return fmt.Errorf("%d budgets for %d silos", len(pdbs), replicas)
		}
		if str(get(sets[0], "spec", "updateStrategy", "type")) != "RollingUpdate" || get(sets[0], "spec", "updateStrategy", "rollingUpdate") != nil {
			return fmt.Errorf("update strategy %v", get(sets[0], "spec", "updateStrategy"))
		}
		return nil
	}())
	check(set+": Services reach container ports the pods have, and SMTP is 25 (587, 465) on a LoadBalancer with the values' traffic policy", func() error {
		services := byKind(docs, "Service")
		kinds := map[string]bool{}
		for _, svc := range services {
			selector := get(svc, "spec", "selector").(map[string]interface{})
			podPorts := map[string]string{}
			for _, d := range docs {
				labels, _ := get(d, "spec", "template", "metadata", "labels").(map[string]interface{})
				if labels == nil || !subset(selector, labels) {
					continue
				}
				for _, c := range list(get(d, "spec", "template", "spec", "containers")) {
					for _, p := range list(get(c, "ports")) {
						podPorts[str(get(p, "name"))] = str(get(p, "containerPort"))
					}
				}
			}
			if len(podPorts) == 0 {
				return fmt.Errorf("Service %s selects no pod", get(svc, "metadata", "name"))
			}
			for _, p := range list(get(svc, "spec", "ports")) {
				target := str(get(p, "targetPort"))
				if _, named := podPorts[target]; !named && !contains(podPorts, target) {
					return fmt.Errorf("Service %s port %v targets %s, which no selected pod exposes", get(svc, "metadata", "name"), get(p, "port"), target)
				}
			}
			if strings.HasSuffix(str(get(svc, "metadata", "name")), "-smtp") {
				kinds["smtp"] = true
				if str(get(svc, "spec", "type")) != "LoadBalancer" || str(get(svc, "spec", "externalTrafficPolicy")) != str(get(values, "smtp", "externalTrafficPolicy")) {
					return fmt.Errorf("SMTP Service type %v, traffic policy %v", get(svc, "spec", "type"), get(svc, "spec", "externalTrafficPolicy"))
				}
				ports := map[string]bool{}
				for _, p := range list(get(svc, "spec", "ports")) {
					ports[str(get(p, "port"))] = true
				}
				submission := get(values, "submission", "enabled") == true
				if !ports["25"] || ports["587"] != submission || ports["465"] != submission {
					return fmt.Errorf("SMTP ports %v with submission %v", ports, submission)
				}
			}
			if get(svc, "spec", "clusterIP") == "None" {
				kinds["headless"] = true
			}
			if strings.HasSuffix(str(get(svc, "metadata", "name")), "-http") || strings.HasSuffix(str(get(svc, "metadata", "name")), "-admin") {
				if str(get(svc, "spec", "type")) != "ClusterIP" {
					return fmt.Errorf("%v is not ClusterIP", get(svc, "metadata", "name"))
				}
				kinds[str(get(svc, "metadata", "name"))] = true
			}
		}
		if !kinds["smtp"] || !kinds["headless"] || !kinds["mail-http"] || !kinds["mail-admin"] {
			return fmt.Errorf("Services found: %v", kinds)
		}
		for _, p := range list(get(container, "ports")) {
			if port := int(toFloat(get(p, "containerPort"))); port < 1024 {
				return fmt.Errorf("container port %d needs a capability", port)
			}
		}
		return nil
	}())
	check(set+": monitoring objects follow their values; the PrometheusRule holds deploy/prometheus/alerts.yml's groups", func() error {
		for kind, key := range map[string]string{"ServiceMonitor": "serviceMonitor", "PrometheusRule": "prometheusRule"} {
			if (len(byKind(docs, kind)) == 1) != (get(values, "metrics", key, "enabled") == true) {
				return fmt.Errorf("%s does not follow metrics.%s.enabled", kind, key)
			}
		}
		if rules := byKind(docs, "PrometheusRule"); len(rules) == 1 {
			text, _ := os.ReadFile("deploy/prometheus/alerts.yml")
			var alerts map[string]interface{}
			yamlv3.Unmarshal(text, &alerts)
			if !reflect.DeepEqual(normalize(alerts["groups"]), normalize(get(rules[0], "spec", "groups"))) {
				return fmt.Errorf("the rule's groups differ from alerts.yml")
			}
		}
		dashboards := 0
		for _, cm := range byKind(docs, "ConfigMap") {
			if str(get(cm, "metadata", "labels", "grafana_dashboard")) == "1" {
				dashboards++
			}
		}
		if (dashboards == 1) != (get(values, "metrics", "grafanaDashboard", "enabled") == true) {
			return fmt.Errorf("%d dashboards", dashboards)
		}
		return nil
	}())
	trusted := str(get(values, "smtp", "trustedNetworks"))
	check(set+": the silo gets Smtp:TrustedNetworks from values, even when empty (not its built-in 127.0.0.0/8)", func() error {
		e, _ := env["Smtp__TrustedNetworks"].(map[string]interface{})
		value, given := e["value"]
		if e == nil || !given || str(value) != trusted {
			return fmt.Errorf("Smtp__TrustedNetworks is %v, values say %q", env["Smtp__TrustedNetworks"], trusted)
		}
		return nil
	}())
	check(set+": NOTES warn of an open relay exactly when trusted networks meet externalTrafficPolicy: Cluster, and claim a trusted network only when one is set", func() error {
		exposed := str(get(values, "smtp", "serviceType")) != "ClusterIP" && str(get(values, "smtp", "externalTrafficPolicy")) == "Cluster"
		if warned := strings.Contains(notes, "WARNING: OPEN RELAY RISK"); warned != (trusted != "" && exposed) {
			return fmt.Errorf("warning shown %v with trustedNetworks %q and externalTrafficPolicy %v", warned, trusted, get(values, "smtp", "externalTrafficPolicy"))
		}
		if trusted == "" && (strings.Contains(notes, "smtp.trustedNetworks,") || !strings.Contains(notes, "No network is trusted")) {
			return fmt.Errorf("NOTES claim a trusted network, or do not say none is set")
		}
		if trusted != "" && !strings.Contains(notes, "from an address in smtp.trustedNetworks, "+trusted) {
			return fmt.Errorf("NOTES do not name the trusted networks")
		}
		if strings.Contains(notes, "$SMTP_IP:") && !strings.Contains(notes, "export SMTP_IP=") {
			return fmt.Errorf("NOTES use $SMTP_IP without setting it")
		}
		return nil
	}())
	check(set+": a NetworkPolicy only with networkPolicy.enabled, selecting the silos: SMTP from anywhere, metrics and admin from the namespace and the values' peers, Orleans from the namespace", checkNetworkPolicy(values, docs, sets[0], container))
}

// checkDefaults: the chart's own defaults (values.yaml with only a storage Secret) relay for nobody
// without AUTH, keep client addresses, and isolate the silos.
func checkDefaults() error {
	v, err := values(valueSets[0].overrides)
	if err != nil {
		return err
	}
	if get(v, "smtp", "trustedNetworks") != "" || get(v, "networkPolicy", "enabled") != true || get(v, "smtp", "externalTrafficPolicy") != "Local" {
		return fmt.Errorf("values.yaml: trustedNetworks %q, networkPolicy.enabled %v, externalTrafficPolicy %v",
			get(v, "smtp", "trustedNetworks"), get(v, "networkPolicy", "enabled"), get(v, "smtp", "externalTrafficPolicy"))
	}
	docs, notes, err := render(v)
	if err != nil {
		return err
	}
	found := false
	for _, e := range list(get(list(get(byKind(docs, "StatefulSet")[0], "spec", "template", "spec", "containers"))[0], "env")) {
		if str(get(e, "name")) == "Smtp__TrustedNetworks" {
			value, given := e.(map[string]interface{})["value"]
			found = given && value == ""
		}
	}
	if !found {
		return fmt.Errorf("Smtp__TrustedNetworks is not rendered with an empty value")
	}
	for _, svc := range byKind(docs, "Service") {
		if strings.HasSuffix(str(get(svc, "metadata", "name")), "-smtp") && str(get(svc, "spec", "externalTrafficPolicy")) != "Local" {
			return fmt.Errorf("SMTP Service traffic policy %v", get(svc, "spec", "externalTrafficPolicy"))
		}
	}
	if n := len(byKind(docs, "NetworkPolicy")); n != 1 {
		return fmt.Errorf("%d NetworkPolicies", n)
	}
	if strings.Contains(notes, "OPEN RELAY") || !strings.Contains(notes, "No network is trusted") {
		return fmt.Errorf("NOTES do not say that no network is trusted, or warn of an open relay")
	}
	return nil
}

// expectedPeers: the NetworkPolicyPeers the values add for metrics and admin: one from the label
// maps (any namespace when only pod labels are given), then networkPolicy.extraFrom.
func expectedPeers(values map[string]interface{}) []interface{} {
	var peers []interface{}
	namespaces, _ := get(values, "networkPolicy", "allowedNamespaceLabels").(map[string]interface{})
	pods, _ := get(values, "networkPolicy", "allowedPodLabels").(map[string]interface{})
	if len(namespaces) > 0 || len(pods) > 0 {
		peer := map[string]interface{}{"namespaceSelector": map[string]interface{}{}}
		if len(namespaces) > 0 {
			peer["namespaceSelector"] = map[string]interface{}{"matchLabels": namespaces}
		}
		if len(pods) > 0 {
			peer["podSelector"] = map[string]interface{}{"matchLabels": pods}
		}
		peers = append(peers, peer)
	}
	return append(peers, list(get(values, "networkPolicy", "extraFrom"))...)
}

func checkNetworkPolicy(values map[string]interface{}, docs []map[string]interface{}, statefulSet map[string]interface{}, container interface{}) error {
	policies := byKind(docs, "NetworkPolicy")
	if get(values, "networkPolicy", "enabled") != true {
		if len(policies) != 0 {
			return fmt.Errorf("%d NetworkPolicies with networkPolicy.enabled false", len(policies))
		}
		return nil
	}
	if len(policies) != 1 {
		return fmt.Errorf("%d NetworkPolicies", len(policies))
	}
	np := policies[0]
	if str(np["apiVersion"]) != "networking.k8s.io/v1" {
		return fmt.Errorf("apiVersion %v", np["apiVersion"])
	}
	selector := get(np, "spec", "podSelector")
	if len(selector.(map[string]interface{})) != 1 || !reflect.DeepEqual(normalize(get(selector, "matchLabels")), normalize(get(statefulSet, "spec", "selector", "matchLabels"))) {
		return fmt.Errorf("podSelector %v is not the StatefulSet's %v", selector, get(statefulSet, "spec", "selector"))
	}
	matchLabels, _ := get(selector, "matchLabels").(map[string]interface{})
	for _, d := range byKind(docs, "Deployment") {
		if labels, _ := get(d, "spec", "template", "metadata", "labels").(map[string]interface{}); subset(matchLabels, labels) {
			return fmt.Errorf("the policy selects %s's pods, which the silos must reach", get(d, "metadata", "name"))
		}
	}
	if fmt.Sprint(get(np, "spec", "policyTypes")) != "[Ingress]" || get(np, "spec", "egress") != nil {
		return fmt.Errorf("policyTypes %v, egress %v: only ingress is restricted", get(np, "spec", "policyTypes"), get(np, "spec", "egress"))
	}
	containerPorts := map[string]string{}
	for _, p := range list(get(container, "ports")) {
		containerPorts[str(get(p, "name"))] = str(get(p, "containerPort"))
	}
	smtpPorts := map[string]bool{"smtp": true}
	if get(values, "submission", "enabled") == true {
		smtpPorts["submission"], smtpPorts["smtps"] = true, true
	}
	namespace := normalize(map[string]interface{}{"podSelector": map[string]interface{}{}})
	peers := expectedPeers(values)
	isPeer := func(peer interface{}) bool {
		for _, want := range peers {
			if reflect.DeepEqual(normalize(want), normalize(peer)) {
				return true
			}
		}
		return false
	}
	anywhere := map[string]bool{}
	from := map[string][]interface{}{}
	for _, rule := range list(get(np, "spec", "ingress")) {
		peersOfRule := list(get(rule, "from"))
		ports := list(get(rule, "ports"))
		if len(ports) == 0 {
			return fmt.Errorf("a rule without ports admits every port: %v", rule)
		}
		for _, peer := range peersOfRule {
			if !reflect.DeepEqual(normalize(peer), namespace) && !isPeer(peer) {
				return fmt.Errorf("peer %v is neither the namespace nor one the values give", peer)
			}
		}
		for _, p := range ports {
			name := str(get(p, "port"))
			if _, named := containerPorts[name]; !named {
				for n, number := range containerPorts {
					if number == name {
						name = n
					}
				}
				if _, named := containerPorts[name]; !named {
					return fmt.Errorf("policy port %v is no container port of the StatefulSet", get(p, "port"))
				}
			}
			if str(get(p, "protocol")) != "TCP" {
				return fmt.Errorf("port %s protocol %v", name, get(p, "protocol"))
			}
			if len(peersOfRule) == 0 {
				if !smtpPorts[name] {
					return fmt.Errorf("port %s is admitted from anywhere", name)
				}
				anywhere[name] = true
			} else {
				from[name] = append(from[name], peersOfRule...)
			}
		}
	}
	for name := range containerPorts {
		if smtpPorts[name] {
			if !anywhere[name] {
				return fmt.Errorf("SMTP port %s is not admitted from anywhere", name)
			}
			continue
		}
		if len(from[name]) == 0 {
			return fmt.Errorf("container port %s is in no rule", name)
		}
		admitted := func(want interface{}) bool {
			for _, peer := range from[name] {
				if reflect.DeepEqual(normalize(peer), normalize(want)) {
					return true
				}
			}
			return false
		}
		if !admitted(namespace) {
			return fmt.Errorf("port %s is not admitted from the namespace", name)
		}
		switch name {
		case "metrics", "admin":
			for _, want := range peers {
				if !admitted(want) {
					return fmt.Errorf("port %s does not admit the values' peer %v", name, want)
				}
			}
		case "orleans":
			if len(from[name]) != 1 {
				return fmt.Errorf("Orleans admits %v: only the namespace", from[name])
			}
		default:
			return fmt.Errorf("container port %s: which rule should admit it?", name)
		}
	}
	return nil
}

func toFloat(v interface{}) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

// normalize: the same YAML read by two parsers compares equal (numbers and maps alike).
func normalize(v interface{}) interface{} {
	out, _ := yaml.Marshal(v)
	var back interface{}
	yaml.Unmarshal(out, &back)
	return back
}

func subset(selector, labels map[string]interface{}) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func contains(m map[string]string, value string) bool {
	for _, v := range m {
		if v == value {
			return true
		}
	}
	return false
}

// configurationKeys: the keys in README.md's configuration table (first column, `Key` cells).
func configurationKeys() map[string]bool {
	text, _ := os.ReadFile("README.md")
	keys := map[string]bool{}
	cell := regexp.MustCompile("`([A-Za-z][A-Za-z0-9]*(:[A-Za-z0-9*]+)*)`")
	for _, line := range strings.Split(string(text), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		var section string
		for _, m := range cell.FindAllStringSubmatch(first, -1) {
			key := m[1]
			// "`Smtp:Limits:MaxSessionDuration`, `:MailFrom`" style continuations are not used; a bare
			// name after a full key shares its section.
			if !strings.Contains(key, ":") && section != "" && key != "ShapingFile" {
				key = section + ":" + key
			}
			keys[key] = true
			if i := strings.LastIndex(key, ":"); i > 0 {
				section = key[:i]
			}
		}
	}
	return keys
}

// readmeListsValues: every leaf path of values.yaml appears in the chart README.
func readmeListsValues() error {
	text, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		return err
	}
	v, err := values("")
	if err != nil {
		return err
	}
	var missing []string
	var walk func(prefix string, m map[string]interface{})
	walk = func(prefix string, m map[string]interface{}) {
		for k, val := range m {
			p := strings.TrimPrefix(prefix+"."+k, ".")
			if sub, ok := val.(map[string]interface{}); ok && len(sub) > 0 && p != "resources" {
				walk(p, sub)
				continue
			}
			if !strings.Contains(string(text), "`"+p+"`") {
				missing = append(missing, p)
			}
		}
	}
	walk("", v)
	sort.Strings(missing)
	if len(missing) > 0 {
		return fmt.Errorf("not listed: %s", strings.Join(missing, ", "))
	}
	return nil
}

func sameFile(a, b string) error {
	x, err := os.ReadFile(a)
	if err != nil {
		return err
	}
	y, err := os.ReadFile(b)
	if err != nil {
		return err
	}
	if !bytes.Equal(x, y) {
		return fmt.Errorf("%s differs from %s: copy it again", a, b)
	}
	return nil
}

// summarize: the kinds and key fields of a rendered manifest, for people to read.
func summarize(docs []map[string]interface{}, notes string) {
	for _, d := range docs {
		fmt.Printf("%s %s", d["kind"], get(d, "metadata", "name"))
		switch d["kind"] {
		case "StatefulSet":
			pod := get(d, "spec", "template", "spec")
			c := list(get(pod, "containers"))[0]
			var ports []string
			for _, p := range list(get(c, "ports")) {
				ports = append(ports, fmt.Sprintf("%v:%v", get(p, "name"), get(p, "containerPort")))
			}
			fmt.Printf(": replicas %v, serviceName %v, grace %vs, ports %s, probes %v/%v, runAsNonRoot %v, readOnlyRootFilesystem %v, claim %v",
				get(d, "spec", "replicas"), get(d, "spec", "serviceName"), get(pod, "terminationGracePeriodSeconds"), strings.Join(ports, " "),
				get(c, "readinessProbe", "httpGet", "path"), get(c, "livenessProbe", "httpGet", "path"), get(pod, "securityContext", "runAsNonRoot"),
				get(c, "securityContext", "readOnlyRootFilesystem"), get(list(get(d, "spec", "volumeClaimTemplates"))[0], "spec", "resources", "requests", "storage"))
		case "Service":
			var ports []string
			for _, p := range list(get(d, "spec", "ports")) {
				ports = append(ports, fmt.Sprintf("%v->%v", get(p, "port"), get(p, "targetPort")))
			}
			fmt.Printf(": type %v, clusterIP %v, externalTrafficPolicy %v, ports %s", get(d, "spec", "type"), get(d, "spec", "clusterIP"), get(d, "spec", "externalTrafficPolicy"), strings.Join(ports, " "))
		case "PodDisruptionBudget":
			fmt.Printf(": maxUnavailable %v", get(d, "spec", "maxUnavailable"))
		case "NetworkPolicy":
			var rules []string
			for _, rule := range list(get(d, "spec", "ingress")) {
				var ports []string
				for _, p := range list(get(rule, "ports")) {
					ports = append(ports, str(get(p, "port")))
				}
				from := "anywhere"
				if peers := list(get(rule, "from")); len(peers) > 0 {
					from = fmt.Sprintf("%d peer(s)", len(peers))
				}
				rules = append(rules, strings.Join(ports, ",")+" from "+from)
			}
			fmt.Printf(": policyTypes %v, ingress %s", get(d, "spec", "policyTypes"), strings.Join(rules, "; "))
		case "Secret", "ConfigMap":
			var keys []string
			for k := range mapOf(get(d, "stringData"), get(d, "data")) {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			fmt.Printf(": keys %s", strings.Join(keys, ", "))
		}
		fmt.Println()
	}
}

func mapOf(vs ...interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for _, v := range vs {
		if m, ok := v.(map[string]interface{}); ok {
			for k, x := range m {
				out[k] = x
			}
		}
	}
	return out
}
