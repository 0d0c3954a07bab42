/**
 * Lien's counters, served at /metrics in Prometheus' text format. Counters only count up; each has a
 * help line saying what it counts. Nothing personal goes into a label.
 */

export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();

  /** Declares a counter (idempotent) so that it shows as 0 before anything happened. */
  define(name: string, help: string): void {
    if (!this.counters.has(name)) this.counters.set(name, { help, values: new Map([['', 0]]) });
  }

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    this.define(name, name);
    const counter = this.counters.get(name);
    if (!counter) return;
    const key = Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    counter.values.set(key, (counter.values.get(key) ?? 0) + by);
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, { help, values }] of this.counters) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of values) {
        if (labels === '' && values.size > 1 && v === 0) continue;
        lines.push(labels ? `${name}{${labels}} ${v}` : `${name} ${v}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
