/** A tiny Prometheus text-format registry: counters and gauges with labels, nothing else needed here. */
type Labels = Record<string, string>;

// Ingest counts on every request: values that need no escaping (all of them, in practice) are not rewritten.
const escapeValue = (v: string) => (/[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v);

function key(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  return names.map((k) => `${k}="${escapeValue(labels[k]!)}"`).join(',');
}

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, number>;
}

export class Metrics {
  readonly #families = new Map<string, Family>();
  readonly #collectors: (() => Promise<void>)[] = [];
  readonly #mask: (text: string) => string;

  /**
   * mask: applied to each scrape's text (SecretMasker.mask), so a label can never carry a secret (a poller's URL
   * with user:pass@). Once per scrape, not per inc(): ingest counts on every request.
   */
  constructor(options: { mask?: (text: string) => string } = {}) {
    this.#mask = options.mask ?? ((text) => text);
  }

  #family(name: string, type: Family['type'], help: string): Family {
    let f = this.#families.get(name);
    if (!f) {
      f = { help, type, values: new Map() };
      this.#families.set(name, f);
    }
    return f;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.#family(name, 'counter', help);
    const k = key(labels);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  /** Replaces all series of a gauge (e.g. open issues by severity, read from the store at scrape time). */
  replace(name: string, help: string, series: [Labels, number][]): void {
    const f = this.#family(name, 'gauge', help);
    f.values.clear();
    for (const [labels, v] of series) f.values.set(key(labels), v);
  }

  /** Registers work to run before each scrape. */
  collect(fn: () => Promise<void>): void {
    this.#collectors.push(fn);
  }

  async render(): Promise<string> {
    for (const c of this.#collectors) await c();
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [labels, v] of f.values) out.push(`${name}${labels ? `{${labels}}` : ''} ${v}`);
    }
    return this.#mask(`${out.join('\n')}\n`);
  }
}
