/**
 * What a person could see of a run, kept as the harness saw it, and the canary scan of all of it.
 *
 * Places (who sees them in a public repository: anyone): the job log (step output lines, stdout and stderr, and
 * the runner's own lines: step headers with `with:` and `env:` values, the `run:` script after `${{ }}`), masked as
 * the runner masks; annotations (message masked, properties NOT: the runner does not mask `title=` or `file=`);
 * step summaries (masked line by line); step, job and workflow_call outputs; every file of every uploaded
 * artifact, read as bytes, inside zips (a plan file is one) and gzip streams; and every request body the fake
 * GitHub API received (comments, issues).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzip, isGzip, isZip, unzip } from './zip';

export interface LogLine {
  job: string;
  step: string;
  stream: 'stdout' | 'stderr' | 'runner';
  text: string;
}
export interface Annotation {
  job: string;
  step: string;
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}
export interface Artifact {
  job: string;
  name: string;
  dir: string;
  files: string[];
  retentionDays: string;
}
export interface ApiRequest {
  method: string;
  path: string;
  body?: any;
  token?: string;
}
export interface JobResult {
  result: 'success' | 'failure' | 'skipped';
  outputs: Record<string, string>;
}

export class RunRecord {
  /** Visible log lines (masked), in order. */
  readonly log: LogLine[] = [];
  /** The same lines before masking: NOT visible on GitHub; kept to debug the harness. */
  readonly unmaskedLog: LogLine[] = [];
  readonly annotations: Annotation[] = [];
  /** Masked line by line as the runner does. */
  readonly summaries: { job: string; step: string; markdown: string }[] = [];
  readonly stepOutputs: { job: string; step: string; outputs: Record<string, string> }[] = [];
  /** Masks added during the run (`::add-mask::` values as given), per job. */
  readonly masks: { job: string; step: string; value: string }[] = [];
  readonly jobs: Record<string, JobResult> = {};
  readonly workflowOutputs: Record<string, string> = {};
  readonly artifacts: Artifact[] = [];
  /** Requests the fake GitHub API answered (comment and issue bodies among them). */
  readonly github: ApiRequest[] = [];
  /** Constructs met that the harness does not model. */
  readonly unhandled: string[] = [];

  line(job: string, step: string, stream: LogLine['stream'], text: string, unmasked = text): void {
    this.log.push({ job, step, stream, text });
    this.unmaskedLog.push({ job, step, stream, text: unmasked });
  }

  logText(job?: string): string {
    return this.log
      .filter((l) => !job || l.job === job)
      .map((l) => l.text)
      .join('\n');
  }

  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const job of new Set(this.log.map((l) => l.job)))
      writeFileSync(join(dir, `${job}.log`), `${this.logText(job)}\n`);
    const { unmaskedLog: _hidden, ...visible } = this;
    writeFileSync(join(dir, 'record.json'), JSON.stringify(visible, null, 2));
  }
}

export interface CanaryForm {
  how: string;
  text: string;
}

/**
 * Encodings of a canary to look for: clear, base64 (every byte alignment, standard and URL alphabets), hex
 * (lower and upper), URI-encoded, JSON `\u` escapes, UTF-16LE.
 */
export function canaryForms(canary: string): CanaryForm[] {
  const bytes = Buffer.from(canary, 'utf8');
  const forms: CanaryForm[] = [{ how: 'clear', text: canary }];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const head = Math.ceil((k * 4) / 3);
    const tail = (k + bytes.length) % 3 === 0 ? 0 : 1;
    const core = enc.slice(head, enc.length - tail);
    if (core.length >= 8) {
      forms.push({ how: `base64+${k}`, text: core });
      forms.push({ how: `base64url+${k}`, text: core.replaceAll('+', '-').replaceAll('/', '_') });
    }
  }
  forms.push({ how: 'hex', text: bytes.toString('hex') }, { how: 'HEX', text: bytes.toString('hex').toUpperCase() });
  const uri = encodeURIComponent(canary);
  if (uri !== canary) forms.push({ how: 'uri', text: uri });
  forms.push({
    how: 'json-u',
    text: [...canary].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  });
  forms.push({ how: 'utf16le', text: Buffer.from(canary, 'utf16le').toString('latin1') });
  return forms;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** A file's bytes as latin1 text, and (recursively) the entries of a zip or the content of a gzip stream in it. */
function* fileTexts(where: string, buf: Buffer): Generator<[string, string]> {
  yield [where, buf.toString('latin1')];
  if (isZip(buf)) for (const e of unzip(buf)) yield* fileTexts(`${where}!${e.name}`, e.data);
  if (isGzip(buf)) {
    const inner = gunzip(buf);
    if (inner) yield* fileTexts(`${where}!gunzip`, inner);
  }
}

/** Every place a person could see, as [where, text]. */
export function* visiblePlaces(record: RunRecord): Generator<[string, string]> {
  for (const l of record.log) yield [`log ${l.job}/${l.step}`, l.text];
  for (const a of record.annotations)
    yield [`annotation ${a.job}/${a.step}`, `${a.message}\n${JSON.stringify(a.properties)}`];
  for (const s of record.summaries) yield [`summary ${s.job}/${s.step}`, s.markdown];
  for (const s of record.stepOutputs)
    for (const [k, v] of Object.entries(s.outputs)) yield [`step output ${s.job}/${s.step}.${k}`, v];
  for (const [job, j] of Object.entries(record.jobs))
    for (const [k, v] of Object.entries(j.outputs)) yield [`job output ${job}.${k}`, v];
  for (const [k, v] of Object.entries(record.workflowOutputs)) yield [`workflow output ${k}`, String(v)];
  for (const art of record.artifacts)
    for (const file of walk(art.dir))
      yield* fileTexts(`artifact ${art.name}:${relative(art.dir, file)}`, readFileSync(file));
  for (const req of record.github) if (req.body) yield [`github ${req.method} ${req.path}`, JSON.stringify(req.body)];
}

export interface Sighting {
  canary: string;
  how: string;
  where: string;
}

/** Every sighting of every canary in every visible place; the target is none. */
export function scanForCanaries(record: RunRecord, canaries: string[]): { hits: Sighting[]; places: string[] } {
  const hits: Sighting[] = [];
  const places = [...visiblePlaces(record)];
  for (const canary of canaries) {
    const forms = canaryForms(canary).map((f) => ({ ...f, latin1: Buffer.from(f.text, 'utf8').toString('latin1') }));
    for (const [where, text] of places)
      for (const f of forms)
        if (text.includes(f.text) || text.includes(f.latin1)) hits.push({ canary, how: f.how, where });
  }
  return { hits, places: places.map(([where]) => where) };
}
