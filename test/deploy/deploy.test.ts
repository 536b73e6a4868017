/**
 * Deployment artefacts checked against the code they describe: the Grafana dashboard and
 * the alert rules may name only metrics that libs/telemetry defines, the Kubernetes
 * manifests only settings that libs/core/src/config.ts knows, and every workload has
 * probes, resources and the policies docs/operations.md promises. A renamed metric or
 * setting breaks this file, not an operator's dashboard at 3 a.m.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECKS_STREAM, RESULTS_STREAM, SERVICE_ROLES, authorizationBlock, jobConsumerName } from '@tdm/bus';
import { BLOCKED_IPV4, BLOCKED_IPV6_IN_GLOBAL, GLOBAL_UNICAST_IPV6, IPV4_EMBEDDING_IPV6 } from '@tdm/probe';
import { createMetrics } from '@tdm/telemetry';
import {
  asList,
  asMap,
  dig,
  parseYamlDocuments,
  YamlSubsetError,
  type YamlMap,
  type YamlValue,
} from './mini-yaml.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (relative: string): string => readFileSync(path.join(ROOT, relative), 'utf8');

// ---- what the code defines, read as text ----

type MetricType = 'counter' | 'gauge' | 'histogram';

/** `new Counter({ name: 'tdm_…'` etc. in libs/telemetry/src/metrics.ts. */
function appMetricsFromSource(): Map<string, MetricType> {
  const source = read('libs/telemetry/src/metrics.ts');
  const found = new Map<string, MetricType>();
  for (const match of source.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name:\s*'(tdm_[a-z0-9_]+)'/g)) {
    found.set(match[2] as string, (match[1] as string).toLowerCase() as MetricType);
  }
  return found;
}

const APP_METRICS = appMetricsFromSource();

/** prom-client's default metrics, registered with the `tdm_` prefix by createMetrics(). */
async function defaultMetrics(): Promise<Map<string, MetricType>> {
  const metrics = createMetrics();
  const all = await metrics.registry.getMetricsAsJSON();
  const found = new Map<string, MetricType>();
  for (const metric of all) {
    if (!APP_METRICS.has(metric.name)) found.set(metric.name, String(metric.type) as MetricType);
  }
  return found;
}

/** Series names a query may use: counters and gauges as named, histograms by suffix. */
function seriesNames(metrics: Map<string, MetricType>): Map<string, 'counter' | 'gauge' | 'histogram-part'> {
  const series = new Map<string, 'counter' | 'gauge' | 'histogram-part'>();
  for (const [name, type] of metrics) {
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) series.set(name + suffix, 'histogram-part');
    else series.set(name, type);
  }
  return series;
}

/** `env: 'NAME'` in SETTINGS, plus TDM_CONFIG which loadConfig reads itself. */
function settingEnvNames(): Set<string> {
  const source = read('libs/core/src/config.ts');
  const names = new Set<string>();
  for (const match of source.matchAll(/\benv:\s*'([A-Z0-9_]+)'/g)) names.add(match[1] as string);
  for (const match of source.matchAll(/\benv\['([A-Z0-9_]+)'\]/g)) names.add(match[1] as string);
  return names;
}

const SETTING_ENVS = settingEnvNames();

function settingDefault(env: string): string {
  const source = read('libs/core/src/config.ts');
  const match = new RegExp(`env: '${env}',\\s*kind: '[a-z]+',\\s*default: '([^']*)'`).exec(source);
  if (!match) throw new Error(`no default found for ${env}`);
  return match[1] as string;
}

// ---- PromQL ----

const PROMQL_WORDS = new Set([
  // aggregations and modifiers
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'group',
  'count_values',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  // functions
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'predict_linear',
  'histogram_quantile',
  'clamp',
  'clamp_min',
  'clamp_max',
  'abs',
  'ceil',
  'floor',
  'round',
  'changes',
  'resets',
  'absent',
  'absent_over_time',
  'vector',
  'scalar',
  'time',
  'timestamp',
  'label_replace',
  'label_join',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
  'quantile_over_time',
  'sort',
  'sort_desc',
  'inf',
  'nan',
]);
/** Series that Prometheus itself writes for every target. */
const PROMETHEUS_SERIES = new Set(['up']);

/** The identifiers of an expression that name series (labels, strings, ranges removed). */
function seriesIdentifiers(expr: string): string[] {
  let text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  // Label lists of by/without/on/ignoring/group_left/group_right are label names, not series.
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1 ');
  text = text.replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, ' ');
  return [...text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((word) => !PROMQL_WORDS.has(word));
}

function checkExpression(
  expr: string,
  series: Map<string, 'counter' | 'gauge' | 'histogram-part'>,
): string[] {
  const problems: string[] = [];
  for (const word of seriesIdentifiers(expr)) {
    if (!series.has(word) && !PROMETHEUS_SERIES.has(word))
      problems.push(`unknown series "${word}" in: ${expr}`);
  }
  for (const match of expr.matchAll(/\b(rate|irate|increase)\(\s*([a-z_:][a-z0-9_:]*)/g)) {
    const kind = series.get(match[2] as string);
    if (kind === 'gauge') problems.push(`${match[1]}() of the gauge ${match[2]} in: ${expr}`);
  }
  if (expr.includes('histogram_quantile(')) {
    if (!/_bucket\b/.test(expr) || !/\bby\s*\([^)]*\ble\b/.test(expr)) {
      problems.push(`histogram_quantile without _bucket grouped by le: ${expr}`);
    }
  }
  return problems;
}

// ---- files ----

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out.sort();
}

interface K8sDoc {
  file: string;
  doc: YamlMap;
}

const K8S_DIR = path.join(ROOT, 'k8s');
const K8S_YAML = walk(K8S_DIR).filter((file) => file.endsWith('.yaml'));
const rel = (file: string): string => path.relative(ROOT, file);

function k8sDocs(): K8sDoc[] {
  const docs: K8sDoc[] = [];
  for (const file of K8S_YAML) {
    for (const doc of parseYamlDocuments(readFileSync(file, 'utf8')))
      docs.push({ file, doc: asMap(doc, rel(file)) });
  }
  return docs;
}

const DOCS = k8sDocs();
const inDir = (dir: string) => (d: K8sDoc) => rel(d.file).startsWith(`k8s/${dir}/`);
/** The resources (not kustomizations, not overlay patches) of the bases and components. */
const RESOURCES = DOCS.filter(
  (d) =>
    !['Kustomization', 'Component'].includes(String(d.doc['kind'])) &&
    !inDir('overlays')(d) &&
    !d.doc['$patch'],
);
const byKind = (kind: string): K8sDoc[] => RESOURCES.filter((d) => d.doc['kind'] === kind);
const nameOf = (d: K8sDoc): string => String(dig(d.doc, 'metadata.name'));

function podSpec(d: K8sDoc): YamlMap {
  return asMap(dig(d.doc, 'spec.template.spec'), `${nameOf(d)} pod spec`);
}
/** Containers and init containers; none for an overlay patch that has no pod template. */
function containersOf(d: K8sDoc): YamlMap[] {
  const spec = dig(d.doc, 'spec.template.spec');
  return [
    ...asList(dig(spec, 'initContainers'), 'initContainers'),
    ...asList(dig(spec, 'containers'), 'containers'),
  ].map((c) => asMap(c, `${nameOf(d)} container`));
}
const isTdmImage = (container: YamlMap): boolean =>
  ['tdm', 'tdm-crawler', 'tdm-crawler-browser'].includes(String(container['image']));

/** KEY=VALUE lines of k8s/base/config.env (the tdm-config ConfigMap). */
function configEnv(): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of read('k8s/base/config.env').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return values;
}

const portOf = (listen: string): number => Number(/:(\d+)$/.exec(listen)?.[1]);

// ---- overlays, resolved as far as these tests need ----

/** The patch documents an overlay's kustomization lists. */
function overlayPatches(overlay: string): YamlMap[] {
  const kustomization = asMap(
    parseYamlDocuments(read(`k8s/overlays/${overlay}/kustomization.yaml`))[0],
    overlay,
  );
  return asList(kustomization['patches'], 'patches').flatMap((patch) =>
    parseYamlDocuments(read(`k8s/overlays/${overlay}/${String(dig(patch, 'path'))}`)).map((doc) =>
      asMap(doc, overlay),
    ),
  );
}

/** A strategic merge as far as these tests need it: maps merge key by key, anything else is replaced. */
function mergeMaps(base: YamlMap, patch: YamlMap): YamlMap {
  const out: YamlMap = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const old = out[key];
    const isMap = (v: YamlValue | undefined): v is YamlMap =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = isMap(old) && isMap(value) ? mergeMaps(old, value) : value;
  }
  return out;
}

/** Objects of one kind after the overlay's patches, by name ($patch: delete removes one). */
function overlayObjects(overlay: string, kind: string): Map<string, YamlMap> {
  const kustomization = asMap(
    parseYamlDocuments(read(`k8s/overlays/${overlay}/kustomization.yaml`))[0],
    overlay,
  );
  const bases = asList(kustomization['resources'], 'resources')
    .map((r) => path.relative(ROOT, path.resolve(ROOT, `k8s/overlays/${overlay}`, String(r))))
    .filter((r) => !r.endsWith('.yaml'));
  const objects = new Map<string, YamlMap>();
  for (const d of RESOURCES.filter(
    (x) => x.doc['kind'] === kind && bases.some((b) => rel(x.file).startsWith(`${b}/`)),
  ))
    objects.set(nameOf(d), d.doc);
  for (const patch of overlayPatches(overlay).filter((p) => p['kind'] === kind)) {
    const name = String(dig(patch, 'metadata.name'));
    if (patch['$patch'] === 'delete') objects.delete(name);
    else objects.set(name, mergeMaps(objects.get(name) ?? {}, patch));
  }
  return objects;
}

/** Replicas of each Deployment and StatefulSet in an overlay (an HPA's minReplicas where one owns it). */
function effectiveReplicas(overlay: string): Map<string, { replicas: number; labels: YamlMap }> {
  const hpas = overlayObjects(overlay, 'HorizontalPodAutoscaler');
  const out = new Map<string, { replicas: number; labels: YamlMap }>();
  for (const kind of ['Deployment', 'StatefulSet']) {
    for (const [name, workload] of overlayObjects(overlay, kind)) {
      const hpa = [...hpas.values()].find((h) => dig(h, 'spec.scaleTargetRef.name') === name);
      const replicas = Number(hpa ? dig(hpa, 'spec.minReplicas') : (dig(workload, 'spec.replicas') ?? 1));
      out.set(name, { replicas, labels: asMap(dig(workload, 'spec.template.metadata.labels'), name) });
    }
  }
  return out;
}

/** The NATS container's environment and data volume size in an overlay (base, then its patch). */
function effectiveNats(overlay: string): { env: Map<string, string>; storage: string } {
  const docs = [
    ...byKind('StatefulSet')
      .filter((d) => nameOf(d) === 'nats')
      .map((d) => d.doc),
    ...overlayPatches(overlay).filter(
      (p) => p['kind'] === 'StatefulSet' && dig(p, 'metadata.name') === 'nats',
    ),
  ];
  const env = new Map<string, string>();
  let storage = '';
  for (const doc of docs) {
    for (const container of asList(dig(doc, 'spec.template.spec.containers'), 'containers')) {
      if (dig(container, 'name') !== 'nats') continue;
      for (const e of asList(dig(container, 'env'), 'env'))
        if (dig(e, 'value') !== undefined) env.set(String(dig(e, 'name')), String(dig(e, 'value')));
    }
    for (const claim of asList(dig(doc, 'spec.volumeClaimTemplates'), 'volumeClaimTemplates'))
      if (dig(claim, 'metadata.name') === 'data')
        storage = String(dig(claim, 'spec.resources.requests.storage'));
  }
  return { env, storage };
}

/** A nats-server size: its parser reads KB/MB/GB/TB (and K/M/G/T) as powers of 1024. */
function natsSize(text: string): number {
  const match = /^(\d+)\s*([KMGT])B?$/i.exec(text);
  if (!match) throw new Error(`not a nats-server size: "${text}"`);
  return Number(match[1]) * 1024 ** ('KMGT'.indexOf((match[2] as string).toUpperCase()) + 1);
}

/** A Kubernetes quantity in bytes (binary Ki/Mi/Gi/Ti or decimal k/M/G/T suffixes). */
function kubernetesQuantity(text: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)$/.exec(text);
  if (!match) throw new Error(`not a Kubernetes byte quantity: "${text}"`);
  const unit = match[2] as string;
  const power = ['K', 'M', 'G', 'T'].indexOf(unit[0]?.toUpperCase() ?? '') + 1;
  return Number(match[1]) * (unit.endsWith('i') ? 1024 : 1000) ** power;
}

/** The literal `value` of a container's env entry. */
function envValue(container: YamlMap, name: string): string | undefined {
  const entry = asList(container['env'], 'env').find((e) => dig(e, 'name') === name);
  const value = dig(entry, 'value');
  return value === undefined ? undefined : String(value);
}

/** A CIDR as [first, last] address numbers and its family (IPv4-mapped ranges stay IPv6). */
function cidrBounds(cidr: string): { family: 4 | 6; first: bigint; last: bigint } {
  const [address = '', bitsText = ''] = cidr.split('/');
  const family = address.includes(':') ? 6 : 4;
  const width = family === 4 ? 32 : 128;
  let value = 0n;
  if (family === 4) {
    for (const part of address.split('.')) value = (value << 8n) | BigInt(Number(part));
  } else {
    const [head = '', tail = ''] = address.split('::');
    const groups = (text: string): string[] => (text === '' ? [] : text.split(':'));
    const h = groups(head);
    const t = address.includes('::') ? groups(tail) : [];
    const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    for (const group of all) value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  const hostBits = BigInt(width - Number(bitsText));
  const first = (value >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
}

/** True when some address of `range` passes one of the ipBlocks (inside its cidr, outside its excepts). */
function allowsSomeOf(blocks: Array<YamlValue | undefined>, range: string): boolean {
  const r = cidrBounds(range);
  return blocks.some((block) => {
    const cidr = cidrBounds(String(dig(block, 'cidr')));
    if (cidr.family !== r.family || r.last < cidr.first || r.first > cidr.last) return false;
    // Refused only when the whole range lies inside one except (ranges are CIDRs: nested or disjoint).
    return !asList(dig(block, 'except'), 'except')
      .map((e) => cidrBounds(String(e)))
      .some((e) => e.first <= r.first && r.last <= e.last);
  });
}

// ---- tests ----

describe('metric names', () => {
  it('are read from metrics.ts exactly as the registry registers them', async () => {
    expect(APP_METRICS.size).toBeGreaterThanOrEqual(11);
    const registry = createMetrics({ defaultMetrics: false }).registry;
    const registered = (await registry.getMetricsAsJSON()).map((m) => `${m.name}:${String(m.type)}`).sort();
    expect([...APP_METRICS].map(([name, type]) => `${name}:${type}`).sort()).toEqual(registered);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(read('grafana/dashboards/takedown-monitor.json')) as {
    uid: string;
    title: string;
    panels: Array<{
      id: number;
      type: string;
      title: string;
      description?: string;
      gridPos: { x: number; y: number; w: number; h: number };
      datasource?: { uid: string };
      targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
    }>;
    templating: { list: Array<{ name: string; type: string; query: unknown; current?: { value: string } }> };
  };
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
  const expressions = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

  it('is well formed: unique ids, panels inside the 24-column grid, a query and a description on each', () => {
    expect(dashboard.uid).toBe('takedown-monitor');
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
      expect(panel.description ?? '', panel.title).not.toBe('');
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      const refIds = (panel.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
    expect(panels.length).toBeGreaterThanOrEqual(15);
  });

  it('queries only metrics defined in libs/telemetry (and prom-client defaults with the tdm_ prefix)', async () => {
    const series = seriesNames(new Map([...APP_METRICS, ...(await defaultMetrics())]));
    expect(series.has('tdm_process_cpu_seconds_total')).toBe(true);
    expect(series.has('tdm_nodejs_eventloop_delay_seconds_bucket')).toBe(true);
    const problems = expressions.flatMap((expr) => checkExpression(expr, series));
    expect(problems).toEqual([]);
  });

  it('shows every application metric, and process CPU, memory and event loop lag', () => {
    const used = new Set(expressions.flatMap((expr) => seriesIdentifiers(expr)));
    for (const [name, type] of APP_METRICS) {
      const wanted = type === 'histogram' ? `${name}_bucket` : name;
      expect(used.has(wanted), `dashboard lacks ${wanted}`).toBe(true);
    }
    for (const name of [
      'tdm_process_cpu_seconds_total',
      'tdm_process_resident_memory_bytes',
      'tdm_nodejs_eventloop_delay_seconds_bucket',
    ]) {
      expect(used.has(name), `dashboard lacks ${name}`).toBe(true);
    }
  });

  it('has template variables that query known metrics and default to the provisioned data source', async () => {
    const series = seriesNames(new Map([...APP_METRICS, ...(await defaultMetrics())]));
    const datasource = dashboard.templating.list.find((variable) => variable.name === 'datasource');
    const provisioned = parseYamlDocuments(read('grafana/provisioning/datasources/prometheus.yaml'))[0];
    const uid = dig(asList(dig(provisioned, 'datasources'), 'datasources')[0], 'uid');
    expect(datasource?.current?.value).toBe(uid);
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const query = String((variable.query as { query?: string }).query ?? variable.query);
      const metric = /label_values\(\s*([a-z_:][a-z0-9_:]*)\s*,/.exec(query)?.[1];
      expect(metric && series.has(metric), `variable ${variable.name}: ${query}`).toBe(true);
    }
  });

  it('is found by the dashboard provider at the path docs/operations.md gives', () => {
    const provider = parseYamlDocuments(read('grafana/provisioning/dashboards/takedown-monitor.yaml'))[0];
    const dir = String(dig(asList(dig(provider, 'providers'), 'providers')[0], 'options.path'));
    expect(dir).toMatch(/^\/var\/lib\/grafana\/dashboards\//);
    expect(read('docs/operations.md')).toContain(dir);
  });
});

describe('Grafana provisioning', () => {
  const files = walk(path.join(ROOT, 'grafana/provisioning')).filter((file) => file.endsWith('.yaml'));

  it('uses only the environment syntax Grafana expands ($VAR, ${VAR}), and docs/operations.md says how each is set', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
    const operations = read('docs/operations.md');
    const used = new Set<string>();
    for (const file of files) {
      // Comments may explain the syntax; only values are interpolated.
      const values = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#'))
        .join('\n');
      // Grafana has no shell defaults: it reads ${VAR:-x} as a variable named "VAR:-x", which is
      // never set, so a data source URL written that way is empty on every machine.
      for (const match of values.matchAll(/\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)/g)) {
        const token = match[1] as string;
        const name = token.startsWith('{') ? token.slice(1, -1) : token;
        expect(name, `${rel(file)}: $${token}`).toMatch(/^[A-Z_][A-Z0-9_]*$/);
        used.add(name);
      }
    }
    expect(used).toContain('PROMETHEUS_URL');
    // Each variable has an example assignment an operator can copy (there is no default in the file).
    for (const name of used) expect(operations, name).toMatch(new RegExp(`\\b${name}=\\S+`));
  });
});

describe('Prometheus configuration', () => {
  const promtool = (...args: string[]): string =>
    execFileSync('promtool', args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });

  it('for one machine passes promtool check config, alert rules included (scripts/lib/install.sh installs promtool)', () => {
    const out = promtool('check', 'config', 'grafana/prometheus/prometheus.yml');
    expect(out).toContain('SUCCESS: 1 rule files found');
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
    const config = parseYamlDocuments(read('grafana/prometheus/prometheus.yml'))[0];
    const targets = asList(
      dig(asList(dig(config, 'scrape_configs'), 'scrape_configs')[0], 'static_configs'),
      'static_configs',
    );
    expect(asList(dig(targets[0], 'targets'), 'targets')).toEqual([settingDefault('TDM_LISTEN')]);
  });

  it('for Kubernetes discovers the pods k8s/base annotates, in the namespace the overlays use, with the same rules', () => {
    const config = parseYamlDocuments(read('grafana/prometheus/prometheus-kubernetes.yml'))[0];
    expect(dig(config, 'rule_files')).toEqual(
      dig(parseYamlDocuments(read('grafana/prometheus/prometheus.yml'))[0], 'rule_files'),
    );
    const [job] = asList(dig(config, 'scrape_configs'), 'scrape_configs');
    const [sd] = asList(dig(job, 'kubernetes_sd_configs'), 'kubernetes_sd_configs');
    expect(dig(sd, 'role')).toBe('pod');
    const namespace = dig(
      parseYamlDocuments(read('k8s/overlays/production/kustomization.yaml'))[0],
      'namespace',
    );
    expect(asList(dig(sd, 'namespaces.names'), 'names')).toEqual([namespace]);
    const relabelSources = asList(dig(job, 'relabel_configs'), 'relabel_configs').flatMap((r) =>
      asList(dig(r, 'source_labels'), 'source_labels').map(String),
    );
    for (const d of byKind('Deployment')) {
      const annotations = asMap(dig(d.doc, 'spec.template.metadata.annotations'), nameOf(d));
      for (const key of Object.keys(annotations).filter((k) => k.startsWith('prometheus.io/'))) {
        const label = `__meta_kubernetes_pod_annotation_${key.replace(/[^a-zA-Z0-9]/g, '_')}`;
        expect(relabelSources, `${nameOf(d)}: ${key}`).toContain(label);
      }
    }
  });
});

describe('alert rules', () => {
  const file = parseYamlDocuments(read('grafana/alerts/tdm-alerts.yaml'))[0];
  const rules = asList(dig(file, 'groups'), 'groups').flatMap((group) =>
    asList(dig(group, 'rules'), 'rules').map((rule) => asMap(rule, 'rule')),
  );
  const operations = read('docs/operations.md');
  const headings = new Set(
    [...operations.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );

  it('cover lateness, backlog, error rate and no checks, each with severity, summary and a runbook section', () => {
    const names = rules.map((rule) => String(rule['alert']));
    for (const wanted of [
      'TdmNoChecks',
      'TdmScheduleLate',
      'TdmConsumerBacklogGrowing',
      'TdmCheckErrorRate',
    ]) {
      expect(names).toContain(wanted);
    }
    for (const rule of rules) {
      const name = String(rule['alert']);
      expect(String(rule['for']), name).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], name).toContain(dig(rule, 'labels.severity'));
      expect(String(dig(rule, 'annotations.summary') ?? ''), name).not.toBe('');
      const runbook = String(dig(rule, 'annotations.runbook_url'));
      const anchor = /^docs\/operations\.md#(.+)$/.exec(runbook)?.[1];
      expect(anchor && headings.has(anchor), `${name}: no section for ${runbook}`).toBe(true);
    }
  });

  it('query only metrics defined in libs/telemetry', async () => {
    const series = seriesNames(new Map([...APP_METRICS, ...(await defaultMetrics())]));
    const problems = rules.flatMap((rule) => checkExpression(String(rule['expr']), series));
    expect(problems).toEqual([]);
  });

  it('and the dashboard read event loop delay from the histogram, not per-process quantile gauges', () => {
    // A p99 gauge of one process cannot be combined with another's (the max of p99s is no p99);
    // buckets can be summed across pods first.
    const dashboard = read('grafana/dashboards/takedown-monitor.json');
    const alerts = read('grafana/alerts/tdm-alerts.yaml');
    for (const text of [dashboard, alerts, read('docs/operations.md')]) {
      expect(text).not.toMatch(/tdm_nodejs_eventloop_lag_(?:p\d+|min|max|mean|stddev)_seconds/);
    }
    const lag = rules.find((rule) => rule['alert'] === 'TdmEventLoopLag');
    expect(String(lag?.['expr'])).toMatch(
      /histogram_quantile\(0\.99, sum by \([^)]*\ble\b[^)]*\) \(rate\(tdm_nodejs_eventloop_delay_seconds_bucket/,
    );
  });
});

describe('Kubernetes manifests', () => {
  it('are all inside the YAML subset, and every object has apiVersion, kind and a name', () => {
    expect(K8S_YAML.length).toBeGreaterThan(10);
    for (const { file, doc } of DOCS) {
      expect(typeof doc['apiVersion'], rel(file)).toBe('string');
      expect(typeof doc['kind'], rel(file)).toBe('string');
      if (!['Kustomization', 'Component'].includes(String(doc['kind']))) {
        expect(typeof dig(doc, 'metadata.name'), rel(file)).toBe('string');
      }
    }
  });

  it('kustomizations name only files that exist, and no manifest of a base or component is left out', () => {
    const referenced = new Set<string>();
    for (const { file, doc } of DOCS.filter((d) =>
      ['Kustomization', 'Component'].includes(String(d.doc['kind'])),
    )) {
      const dir = path.dirname(file);
      const refs = [
        ...asList(doc['resources'], 'resources').map(String),
        ...asList(doc['components'], 'components').map(String),
        ...asList(doc['patches'], 'patches').map((p) => String(dig(p, 'path'))),
        ...asList(doc['configMapGenerator'], 'configMapGenerator').flatMap((g) => [
          ...asList(dig(g, 'envs'), 'envs').map(String),
          ...asList(dig(g, 'files'), 'files').map(String),
        ]),
      ];
      for (const ref of refs) {
        const target = path.resolve(dir, ref);
        expect(existsSync(target), `${rel(file)} names ${ref}`).toBe(true);
        if (statSync(target).isDirectory())
          expect(existsSync(path.join(target, 'kustomization.yaml')), ref).toBe(true);
        referenced.add(target);
      }
    }
    for (const file of K8S_YAML.filter(
      (f) => !rel(f).startsWith('k8s/overlays/') && !f.endsWith('kustomization.yaml'),
    )) {
      expect(referenced.has(file), `${rel(file)} is in no kustomization`).toBe(true);
    }
  });

  it('use only settings that libs/core/src/config.ts defines', () => {
    expect(SETTING_ENVS.has('TDM_CHECK_INTERVAL')).toBe(true);
    // Any TDM_* name anywhere under k8s/, comments included: a stale name misleads too.
    for (const file of walk(K8S_DIR)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bTDM_[A-Z0-9_]+/g)) {
        if (match[0] === CHECKS_STREAM || match[0] === RESULTS_STREAM) continue; // stream names, not settings
        expect(SETTING_ENVS.has(match[0]), `${rel(file)}: ${match[0]} is not a setting`).toBe(true);
      }
    }
    for (const key of configEnv().keys()) expect(SETTING_ENVS.has(key), `config.env: ${key}`).toBe(true);
    for (const d of DOCS.filter((x) =>
      ['Deployment', 'Job', 'StatefulSet'].includes(String(x.doc['kind'])),
    )) {
      for (const container of containersOf(d).filter(isTdmImage)) {
        for (const env of asList(container['env'], 'env')) {
          const name = String(dig(env, 'name'));
          expect(SETTING_ENVS.has(name), `${nameOf(d)}: env ${name}`).toBe(true);
        }
      }
    }
    for (const d of DOCS.filter((x) => x.doc['kind'] === 'Kustomization')) {
      for (const generator of asList(d.doc['configMapGenerator'], 'configMapGenerator')) {
        if (dig(generator, 'name') !== 'tdm-config') continue;
        for (const literal of asList(dig(generator, 'literals'), 'literals')) {
          const key = String(literal).split('=')[0] as string;
          expect(SETTING_ENVS.has(key), `${rel(d.file)}: ${key}`).toBe(true);
        }
      }
    }
  });

  it('give every Deployment readiness (/readyz) and liveness (/healthz) probes on the port the service listens on', () => {
    const env = configEnv();
    const deployments = byKind('Deployment');
    expect(deployments.map(nameOf).sort()).toEqual([
      'tdm-crawler',
      'tdm-crawler-browser',
      'tdm-results',
      'tdm-scheduler',
    ]);
    for (const d of deployments) {
      for (const container of containersOf(d)) {
        const where = `${nameOf(d)}/${String(container['name'])}`;
        const readiness = dig(container, 'readinessProbe.httpGet');
        const liveness = dig(container, 'livenessProbe.httpGet');
        expect(dig(readiness, 'path'), where).toBe('/readyz');
        expect(dig(liveness, 'path'), where).toBe('/healthz');
        const ports = new Map(
          asList(container['ports'], 'ports').map((p) => [
            String(dig(p, 'name')),
            Number(dig(p, 'containerPort')),
          ]),
        );
        for (const probe of [readiness, liveness])
          expect(ports.has(String(dig(probe, 'port'))), where).toBe(true);
        const [subcommand] = asList(container['args'], 'args').map(String);
        const listen = subcommand === 'results' ? env.get('TDM_LISTEN') : env.get('TDM_METRICS_LISTEN');
        expect(['scheduler', 'crawler', 'results']).toContain(subcommand);
        expect(ports.get(String(dig(readiness, 'port'))), where).toBe(portOf(String(listen)));
        const scrapePort = dig(d.doc, ['spec', 'template', 'metadata', 'annotations', 'prometheus.io/port']);
        expect(Number(scrapePort), `${where} scrape port`).toBe(portOf(String(listen)));
      }
    }
    // Listening on loopback inside a pod would make every probe fail; who may connect is
    // the NetworkPolicies' job (below), since the image itself listens on loopback only.
    expect(env.get('TDM_LISTEN')).toMatch(/^0\.0\.0\.0:/);
    expect(env.get('TDM_METRICS_LISTEN')).toMatch(/^0\.0\.0\.0:/);
  });

  it('set resource requests and limits on every container, and run them unprivileged', () => {
    const workloads = [...byKind('Deployment'), ...byKind('StatefulSet'), ...byKind('Job')];
    expect(workloads.length).toBeGreaterThanOrEqual(5);
    for (const d of workloads) {
      expect(dig(podSpec(d), 'securityContext.runAsNonRoot'), nameOf(d)).toBe(true);
      for (const container of containersOf(d)) {
        const where = `${nameOf(d)}/${String(container['name'])}`;
        for (const key of ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']) {
          expect(dig(container, `resources.${key}`), `${where} ${key}`).toBeDefined();
        }
        expect(dig(container, 'securityContext.allowPrivilegeEscalation'), where).toBe(false);
        expect(dig(container, 'securityContext.readOnlyRootFilesystem'), where).toBe(true);
      }
    }
  });

  it('run the schema migration as a Job, and give the database only to the parts that use it', () => {
    const [job] = byKind('Job');
    expect(job && containersOf(job)[0]?.['args']).toEqual(['migrate']);
    const users = new Map<string, boolean>();
    for (const d of [...byKind('Deployment'), ...byKind('Job')]) {
      const env = containersOf(d).flatMap((c) => asList(c['env'], 'env'));
      users.set(
        nameOf(d),
        env.some((e) => dig(e, 'name') === 'DATABASE_URL'),
      );
    }
    expect(Object.fromEntries(users)).toEqual({
      'tdm-crawler': false,
      'tdm-crawler-browser': false,
      'tdm-migrate': true,
      'tdm-results': true,
      'tdm-scheduler': true,
    });
  });

  it('select existing pods from every PodDisruptionBudget and Service, and autoscale the crawler on tdm_consumer_pending', () => {
    const podLabels = [...byKind('Deployment'), ...byKind('StatefulSet')].map((d) =>
      asMap(dig(d.doc, 'spec.template.metadata.labels'), nameOf(d)),
    );
    const selects = (selector: YamlValue | undefined): boolean =>
      podLabels.some((labels) =>
        Object.entries(asMap(selector, 'selector')).every(([k, v]) => labels[k] === v),
      );
    for (const pdb of byKind('PodDisruptionBudget'))
      expect(selects(dig(pdb.doc, 'spec.selector.matchLabels')), nameOf(pdb)).toBe(true);
    for (const service of byKind('Service'))
      expect(selects(dig(service.doc, 'spec.selector')), nameOf(service)).toBe(true);
    expect(byKind('PodDisruptionBudget').length).toBe(4);

    const hpas = byKind('HorizontalPodAutoscaler');
    // Each crawler pool scales on its own consumer's backlog.
    const browserHpa = hpas.find((d) => nameOf(d) === 'tdm-crawler-browser');
    expect(browserHpa && dig(browserHpa.doc, 'spec.scaleTargetRef.name')).toBe('tdm-crawler-browser');
    const browserMetric = asList(dig(browserHpa?.doc, 'spec.metrics'), 'metrics').find(
      (m) => dig(m, 'type') === 'External',
    );
    expect(dig(browserMetric, 'external.metric.selector.matchLabels')).toEqual({
      stream: CHECKS_STREAM,
      consumer: jobConsumerName('browser'),
    });
    const hpa = hpas.find((d) => nameOf(d) === 'tdm-crawler');
    expect(hpa && dig(hpa.doc, 'spec.scaleTargetRef.name')).toBe('tdm-crawler');
    const external = asList(dig(hpa?.doc, 'spec.metrics'), 'metrics').find(
      (m) => dig(m, 'type') === 'External',
    );
    const metric = String(dig(external, 'external.metric.name'));
    expect(APP_METRICS.get(metric)).toBe('gauge');
    expect(metric).toBe('tdm_consumer_pending');
    expect(dig(external, 'external.metric.selector.matchLabels')).toEqual({
      stream: CHECKS_STREAM,
      consumer: jobConsumerName('http'),
    });
    // Lag per pod times the most pods must fit under the scheduler's backpressure bound.
    const perPod = Number(dig(external, 'external.target.averageValue'));
    expect(perPod * Number(dig(hpa?.doc, 'spec.maxReplicas'))).toBeLessThanOrEqual(
      Number(configEnv().get('TDM_MAX_PENDING_JOBS')),
    );
  });

  it('let the crawler reach the internet and NATS but no private, loopback, link-local or metadata range', () => {
    const policy = byKind('NetworkPolicy').find((d) => nameOf(d) === 'tdm-crawler');
    expect(policy).toBeDefined();
    expect(asList(dig(policy?.doc, 'spec.policyTypes'), 'policyTypes')).toEqual(['Ingress', 'Egress']);
    const egress = asList(dig(policy?.doc, 'spec.egress'), 'egress');
    const blocks = egress
      .flatMap((rule) => asList(dig(rule, 'to'), 'to'))
      .map((peer) => dig(peer, 'ipBlock'))
      .filter(Boolean);
    const v4 = blocks.find((b) => dig(b, 'cidr') === '0.0.0.0/0');
    const v6 = blocks.find((b) => String(dig(b, 'cidr')).includes(':'));
    expect(v4).toBeDefined();
    expect(dig(v6, 'cidr')).toBe(GLOBAL_UNICAST_IPV6);
    // Every range the prober refuses is refused here too (the lists cannot drift apart),
    // also the IPv6 forms that embed an IPv4 address (the policy cannot look inside them).
    const refusedByProbe = [
      ...BLOCKED_IPV4,
      ...BLOCKED_IPV6_IN_GLOBAL,
      ...Object.values(IPV4_EMBEDDING_IPV6),
      '::1/128',
      'fc00::/7',
      'fe80::/10',
      'ff00::/8',
      '64:ff9b:1::/48',
    ];
    for (const range of refusedByProbe)
      expect(allowsSomeOf(blocks, range), `${range} is reachable`).toBe(false);
    for (const address of ['1.1.1.1/32', '2606:4700:4700::1111/128'])
      expect(allowsSomeOf(blocks, address), address).toBe(true);
    // Every other egress rule is a pod selector: NATS on its client port.
    const natsClientPort = byKind('StatefulSet')
      .filter((d) => nameOf(d) === 'nats')
      .flatMap((d) => containersOf(d))
      .flatMap((c) => asList(c['ports'], 'ports'))
      .find((p) => dig(p, 'name') === 'client');
    const natsRule = egress.find((rule) =>
      asList(dig(rule, 'to'), 'to').some(
        (peer) => dig(peer, ['podSelector', 'matchLabels', 'app.kubernetes.io/name']) === 'nats',
      ),
    );
    expect(natsRule).toBeDefined();
    expect(dig(asList(dig(natsRule, 'ports'), 'ports')[0], 'port')).toBe(
      dig(natsClientPort, 'containerPort'),
    );
    // A default deny and DNS for everyone.
    const deny = byKind('NetworkPolicy').find((d) => nameOf(d) === 'tdm-default-deny');
    expect(asMap(dig(deny?.doc, 'spec.podSelector'), 'podSelector')).toEqual({});
    expect(byKind('NetworkPolicy').some((d) => nameOf(d) === 'tdm-allow-dns')).toBe(true);
  });

  it('give JetStream a file store that fits the volume each overlay requests, with headroom', () => {
    // nats.conf reads the limit from the pod's environment, so each overlay sets it beside its volume.
    expect(read('k8s/nats/nats.conf')).toMatch(/^\s*max_file_store:\s*\$JS_MAX_FILE_STORE\s*$/m);
    for (const overlay of ['dev', 'production']) {
      const nats = effectiveNats(overlay);
      const limit = natsSize(nats.env.get('JS_MAX_FILE_STORE') ?? '');
      const volume = kubernetesQuantity(nats.storage);
      // JetStream refuses writes at its limit; the volume must never fill first (the
      // filesystem, snapshots and compaction need room), nor should most of it sit unused.
      expect(
        limit / volume,
        `${overlay}: ${String(nats.env.get('JS_MAX_FILE_STORE'))} on ${nats.storage}`,
      ).toBeLessThanOrEqual(0.85);
      expect(limit / volume, overlay).toBeGreaterThanOrEqual(0.6);
    }
    expect(effectiveNats('production').storage).toBe('100Gi');
  });

  it('let a node drain in every overlay: each PodDisruptionBudget allows one eviction at the replicas it gets', () => {
    for (const overlay of ['dev', 'production']) {
      const workloads = effectiveReplicas(overlay);
      const pdbs = overlayObjects(overlay, 'PodDisruptionBudget');
      expect(pdbs.size, overlay).toBeGreaterThan(0);
      for (const [name, pdb] of pdbs) {
        const selector = asMap(dig(pdb, 'spec.selector.matchLabels'), name);
        const selected = [...workloads.values()].filter((w) =>
          Object.entries(selector).every(([k, v]) => w.labels[k] === v),
        );
        expect(selected.length, `${overlay}: ${name} selects one workload`).toBe(1);
        const replicas = (selected[0] as { replicas: number }).replicas;
        const minAvailable = dig(pdb, 'spec.minAvailable');
        const maxUnavailable = dig(pdb, 'spec.maxUnavailable');
        const allowed =
          maxUnavailable !== undefined ? Number(maxUnavailable) : replicas - Number(minAvailable);
        expect(allowed, `${overlay}: ${name} at ${replicas} replica(s)`).toBeGreaterThanOrEqual(1);
        // ...and never more than one at a time where there are several.
        if (replicas > 1) expect(allowed, `${overlay}: ${name}`).toBe(1);
      }
    }
  });

  it('let the results API be reached only from the ingress namespace, Prometheus and labelled client pods', () => {
    for (const name of ['tdm-results', 'tdm-scheduler', 'tdm-crawler', 'tdm-crawler-browser']) {
      const policy = byKind('NetworkPolicy').find((d) => nameOf(d) === name);
      expect(policy, name).toBeDefined();
      for (const rule of asList(dig(policy?.doc, 'spec.ingress'), 'ingress')) {
        // A rule without `from` admits every address.
        expect(
          asList(dig(rule, 'from'), 'from').length,
          `${name}: ingress rule without from`,
        ).toBeGreaterThan(0);
      }
    }
  });

  it('make NATS require a user per service, with the permissions libs/bus defines, and take every credential from a Secret', () => {
    const variable = (role: string): string => `NATS_${role.toUpperCase()}_PASSWORD`;
    const expected = authorizationBlock(
      SERVICE_ROLES.map((role) => ({ role, user: `tdm-${role}`, password: { env: variable(role) } })),
    );
    const conf = read('k8s/nats/nats.conf');
    expect(conf, 'k8s/nats/nats.conf: paste authorizationBlock() output').toContain(expected);
    expect(conf).not.toMatch(/no_auth_user/);
    const [nats] = byKind('StatefulSet').filter((d) => nameOf(d) === 'nats');
    const natsEnv = containersOf(nats!).flatMap((c) => asList(c['env'], 'env'));
    for (const role of SERVICE_ROLES) {
      const entry = natsEnv.find((e) => dig(e, 'name') === variable(role));
      expect(dig(entry, 'valueFrom.secretKeyRef'), role).toEqual({
        name: 'tdm-nats-users',
        key: `${role}-password`,
      });
    }
    // Each service connects as its own user, with its own password from the same Secret.
    for (const d of byKind('Deployment')) {
      for (const container of containersOf(d).filter(isTdmImage)) {
        const [subcommand] = asList(container['args'], 'args').map(String);
        const env = asList(container['env'], 'env');
        expect(envValue(container, 'NATS_USER'), nameOf(d)).toBe(`tdm-${String(subcommand)}`);
        const password = env.find((e) => dig(e, 'name') === 'NATS_PASSWORD');
        expect(dig(password, 'valueFrom.secretKeyRef'), nameOf(d)).toEqual({
          name: 'tdm-nats-users',
          key: `${String(subcommand)}-password`,
        });
      }
    }
    // The results service gets the admin token as a file from its own Secret.
    const [results] = byKind('Deployment').filter((d) => nameOf(d) === 'tdm-results');
    const volume = asList(dig(podSpec(results!), 'volumes'), 'volumes').find(
      (v) => dig(v, 'secret.secretName') === 'tdm-admin-token',
    );
    expect(volume).toBeDefined();
    expect(Number(dig(volume, 'secret.defaultMode')) & 0o007).toBe(0);
    const mount = containersOf(results!)
      .flatMap((c) => asList(c['volumeMounts'], 'volumeMounts'))
      .find((m) => dig(m, 'name') === dig(volume, 'name'));
    expect(dig(mount, 'readOnly')).toBe(true);
    // The dev overlay generates that Secret with every key.
    const dev = DOCS.find((x) => rel(x.file) === 'k8s/overlays/dev/kustomization.yaml');
    const generated = asList(dig(dev?.doc, 'secretGenerator'), 'secretGenerator').find(
      (g) => dig(g, 'name') === 'tdm-nats-users',
    );
    const keys = asList(dig(generated, 'literals'), 'literals').map((l) => String(l).split('=')[0]);
    expect(keys.sort()).toEqual(SERVICE_ROLES.map((role) => `${role}-password`).sort());
    const adminToken = asList(dig(dev?.doc, 'secretGenerator'), 'secretGenerator').find(
      (g) => dig(g, 'name') === 'tdm-admin-token',
    );
    const token = asList(dig(adminToken, 'literals'), 'literals')
      .map(String)
      .find((l) => l.startsWith('token='));
    expect(token?.slice('token='.length).length).toBeGreaterThanOrEqual(32);
  });

  it('run NATS as a three-node JetStream cluster whose config nats-server accepts', () => {
    const [nats] = byKind('StatefulSet').filter((d) => nameOf(d) === 'nats');
    expect(nats && dig(nats.doc, 'spec.replicas')).toBe(3);
    // Streams (and their consumers) replicated on all three, so losing a node loses nothing.
    expect(configEnv().get('TDM_STREAM_REPLICAS')).toBe('3');
    const headless = String(dig(nats?.doc, 'spec.serviceName'));
    const conf = read('k8s/nats/nats.conf');
    expect(conf).toMatch(/jetstream\s*\{/);
    for (let i = 0; i < 3; i++) expect(conf).toContain(`nats://nats-${i}.${headless}:6222`);
    expect(
      byKind('Service').some((d) => nameOf(d) === headless && dig(d.doc, 'spec.clusterIP') === 'None'),
    ).toBe(true);
    // The real server parses the file (-t: test the configuration and exit).
    const out = execFileSync('nats-server', ['-t', '-c', path.join(ROOT, 'k8s/nats/nats.conf')], {
      env: {
        ...process.env,
        SERVER_NAME: 'nats-0',
        JS_MAX_FILE_STORE: effectiveNats('dev').env.get('JS_MAX_FILE_STORE'),
        // From the Secret tdm-nats-users on a cluster.
        NATS_SCHEDULER_PASSWORD: 'a',
        NATS_CRAWLER_PASSWORD: 'b',
        NATS_RESULTS_PASSWORD: 'c',
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    expect(out).toBe('');
  });

  it("offer KEDA scaling on the http crawlers' consumer as a component that replaces the HPA", () => {
    const [scaled] = byKind('ScaledObject');
    expect(scaled && dig(scaled.doc, 'spec.scaleTargetRef.name')).toBe('tdm-crawler');
    const trigger = asList(dig(scaled?.doc, 'spec.triggers'), 'triggers').find(
      (t) => dig(t, 'type') === 'nats-jetstream',
    );
    // The names libs/bus creates: a stale name here would scale on a consumer that does not exist.
    expect(dig(trigger, 'metadata.stream')).toBe(CHECKS_STREAM);
    expect(dig(trigger, 'metadata.consumer')).toBe(jobConsumerName('http'));
    const endpoint = String(dig(trigger, 'metadata.natsServerMonitoringEndpoint'));
    const monitor = byKind('Service')
      .filter((d) => nameOf(d) === 'nats')
      .flatMap((d) => asList(dig(d.doc, 'spec.ports'), 'ports'))
      .find((p) => dig(p, 'name') === 'monitor');
    expect(endpoint).toBe(`nats.tdm.svc.cluster.local:${String(dig(monitor, 'port'))}`);
    const deletion = DOCS.find(
      (d) => d.doc['$patch'] === 'delete' && d.doc['kind'] === 'HorizontalPodAutoscaler',
    );
    expect(deletion && rel(deletion.file)).toBe('k8s/components/keda/delete-hpa.yaml');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds with npm ci on node:20-bookworm-slim, prunes dev dependencies and runs the CLI as non-root', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/services\/cli\/dist\/main\.js"\]$/m);
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('10001:10001');
    // The Kubernetes manifests rely on this uid.
    expect(read('k8s/base/scheduler.yaml')).toContain('runAsUser: 10001');
  });

  it('listens on no address beyond loopback by default (the operator opens it on purpose)', () => {
    const instructions = dockerfile
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    expect(instructions).not.toMatch(/TDM_(?:METRICS_)?LISTEN=/);
    expect(instructions).not.toContain('0.0.0.0');
  });

  it('copies the manifest of every npm workspace before npm ci', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const beforeInstall = dockerfile.slice(0, dockerfile.indexOf('RUN npm ci'));
    for (const workspace of workspaces)
      expect(beforeInstall).toContain(`COPY ${workspace}/package.json ${workspace}/`);
  });

  it('has a browser target with the system Chromium at the path TDM_CHROMIUM_PATH defaults to', () => {
    const browser = dockerfile.slice(dockerfile.indexOf('AS browser'));
    expect(browser).toMatch(/apt-get install -y --no-install-recommends chromium\b/);
    expect(browser).toContain(`TDM_CHROMIUM_PATH=${settingDefault('TDM_CHROMIUM_PATH')}`);
    expect(dockerfile).not.toMatch(/^(?:RUN|ENV).*playwright/m);
  });

  it('keeps node_modules, build output, data and git out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', 'data', '.git']) expect(ignored).toContain(entry);
  });
});

describe('docs/operations.md', () => {
  const operations = read('docs/operations.md');

  it('explains every dashboard panel and every alert', () => {
    const dashboard = JSON.parse(read('grafana/dashboards/takedown-monitor.json')) as {
      panels: Array<{ type: string; title: string }>;
    };
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(operations, panel.title).toContain(`#### ${panel.title}\n`);
    }
    const rules = read('grafana/alerts/tdm-alerts.yaml');
    for (const match of rules.matchAll(/- alert: (\w+)/g))
      expect(operations).toMatch(new RegExp(`^#{2,4} .*${match[1]}`, 'm'));
  });
});

describe('mini-yaml (the reader these tests use)', () => {
  it('reads mappings, sequences of mappings, quoted and block scalars across documents', () => {
    const docs = parseYamlDocuments(
      [
        'a: 1 # comment',
        'b:',
        '  - name: x',
        '    port: 80',
        '  - "q: #1"',
        'c: |',
        '  line one',
        '    # kept',
        'd: {}',
        '---',
        'list:',
        '- plain://not:a-key',
        "- 'it''s'",
      ].join('\n'),
    );
    expect(docs).toEqual([
      { a: 1, b: [{ name: 'x', port: 80 }, 'q: #1'], c: 'line one\n  # kept\n', d: {} },
      { list: ['plain://not:a-key', "it's"] },
    ]);
  });

  it('refuses what it does not understand instead of misreading it', () => {
    expect(() => parseYamlDocuments('a: &anchor 1')).toThrow(YamlSubsetError);
    expect(() => parseYamlDocuments('a: one\n  two')).toThrow(YamlSubsetError);
    expect(() => parseYamlDocuments('a: {b: 1}')).toThrow(YamlSubsetError);
    expect(() => parseYamlDocuments('a: b: c')).toThrow(YamlSubsetError);
    expect(() => parseYamlDocuments('a: 1\na: 2')).toThrow(YamlSubsetError);
  });
});
