/**
 * The example alert rules in docs/alerts/ parse as Prometheus rule files and name only metrics
 * tapflow exports, with labels those metrics have.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Registry } from 'prom-client';
import { addRunsGauge, addRunsUnchangedGauge, createApiMetrics, createWorkerMetrics, METRIC_NAMES } from '../../src/observability/metrics';

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const file = join(__dirname, '../../docs/alerts/tapflow-rules.yml');
const doc = parse(readFileSync(file, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
const rules = doc.groups.flatMap((g) => g.rules);

/** Every tapflow metric and its label names, read from the metrics tapflow defines. */
async function exported(): Promise<Map<string, string[]>> {
  const registry = new Registry();
  createWorkerMetrics({ registry });
  const api = createApiMetrics();
  addRunsGauge(api.registry, async () => [], ['held']);
  addRunsUnchangedGauge(api.registry, async () => []);
  const out = new Map<string, string[]>();
  for (const metric of [...registry.getMetricsAsArray(), ...api.registry.getMetricsAsArray()]) {
    out.set(metric.name, [...((metric as unknown as { labelNames: string[] }).labelNames ?? [])]);
  }
  return out;
}

test('the rule file has groups of alerts, each with an expression, a severity and a summary', () => {
  expect(doc.groups.length).toBeGreaterThan(0);
  expect(rules.map((r) => r.alert)).toEqual(
    expect.arrayContaining(['TapflowRunsHeld', 'TapflowRunsFailed', 'TapflowRunStuck', 'TapflowWebhookDeliveriesFailing']),
  );
  for (const rule of rules) {
    expect(rule).toEqual(expect.objectContaining({ alert: expect.any(String), expr: expect.any(String) }));
    expect(rule.labels?.severity).toMatch(/^(warning|critical)$/);
    expect(rule.annotations?.summary).toEqual(expect.any(String));
    if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
  }
});

test('every metric and label a rule names is one tapflow exports', async () => {
  const metrics = await exported();
  expect([...metrics.keys()]).toEqual(expect.arrayContaining(Object.values(METRIC_NAMES)));
  for (const rule of rules) {
    const named = [...(rule.expr ?? '').matchAll(/\b(tapflow_[a-z_]+)(\{([^}]*)\})?/g)];
    expect(named.length).toBeGreaterThan(0);
    for (const [, name, , selector] of named) {
      const base = name!.replace(/_(bucket|sum|count)$/, '');
      expect({ rule: rule.alert, metric: base, known: metrics.has(base) }).toEqual({ rule: rule.alert, metric: base, known: true });
      const labels = [...(selector ?? '').matchAll(/([a-z_]+)\s*(=~|!=|=)/g)].map((m) => m[1]);
      for (const label of labels) expect({ metric: base, label, known: metrics.get(base)!.includes(label!) }).toEqual({ metric: base, label, known: true });
    }
    for (const [, label] of (rule.expr ?? '').matchAll(/by \(([a-z_, ]+)\)/g)) {
      const base = /tapflow_[a-z_]+/.exec(rule.expr ?? '')![0];
      for (const l of label!.split(',').map((s) => s.trim())) expect(metrics.get(base)).toContain(l);
    }
  }
});
