/**
 * Instance-mode diagnosis: the NAT instance's latest console output (GetConsoleOutput --latest) tells
 * whether the nftables masquerade ruleset loaded. A bad AMI bake forwards without SNAT: the instance
 * runs, the routes are active, and every private workload loses egress at once.
 */
import { EC2Client, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { describeError, isAbortLike } from '../runtime/index';
import type { Finding } from './types';

export type ConsoleProblemKind = 'nftables-missing' | 'nftables-failed' | 'masquerade' | 'forwarding-off';

export interface ConsoleProblem {
  kind: ConsoleProblemKind;
  line: string;
}

export interface ConsoleDiagnosis {
  instanceId: string;
  az?: string;
  /** False when EC2 had no console output (or the call failed: see `error`). */
  available: boolean;
  error?: string;
  problems: ConsoleProblem[];
  /** The last lines mentioning nftables/forwarding/masquerade/failures (for the report). */
  excerpt: string[];
}

/** One case-insensitive expression matching any of `parts` (written one alternative a line). */
function anyOf(parts: RegExp[]): RegExp {
  return new RegExp(parts.map((p) => p.source).join('|'), 'i');
}

const PATTERNS: { kind: ConsoleProblemKind; re: RegExp }[] = [
  {
    kind: 'nftables-missing',
    re: anyOf([
      /nftables\.service (does not exist|not found)/,
      /Unit nftables\.service not found/,
      /nft: command not found/,
      /\/usr\/sbin\/nft: No such file/,
    ]),
  },
  {
    kind: 'nftables-failed',
    re: anyOf([
      /Failed to start .*nftables/,
      /nftables\.service: (Main process exited|Failed with result)/,
      /nft(ables)?\b.*\b(error|failed)\b/,
    ]),
  },
  {
    kind: 'masquerade',
    re: /masquerade.*\b(error|fail|failed|not found|no such)\b|\b(error|fail|failed)\b.*masquerade/i,
  },
  { kind: 'forwarding-off', re: /net\.ipv4\.ip_forward\s*=\s*0/ },
];

const RELEVANT = /nftables|nft\b|forward|masquerade|fail|error/i;

export function parseConsoleOutput(text: string): { problems: ConsoleProblem[]; excerpt: string[] } {
  // Strip ANSI colour codes systemd writes to the console.
  const lines = text
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')
    .split(/\r?\n/)
    .map((l) => l.trimEnd());
  const problems: ConsoleProblem[] = [];
  const seen = new Set<ConsoleProblemKind>();
  for (const line of lines) {
    for (const { kind, re } of PATTERNS) {
      if (!seen.has(kind) && re.test(line)) {
        seen.add(kind);
        problems.push({ kind, line: line.trim().slice(0, 300) });
        break;
      }
    }
  }
  const excerpt = lines
    .filter((l) => RELEVANT.test(l))
    .slice(-15)
    .map((l) => l.trim().slice(0, 300));
  return { problems, excerpt };
}

export async function diagnoseConsole(
  ec2: EC2Client,
  instances: { id: string; az?: string }[],
): Promise<ConsoleDiagnosis[]> {
  return Promise.all(
    instances.map(async ({ id, az }): Promise<ConsoleDiagnosis> => {
      const base = { instanceId: id, ...(az ? { az } : {}) };
      try {
        const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: id, Latest: true }));
        if (!out.Output) return { ...base, available: false, problems: [], excerpt: [] };
        return { ...base, available: true, ...parseConsoleOutput(Buffer.from(out.Output, 'base64').toString('utf8')) };
      } catch (err) {
        if (isAbortLike(err)) throw err;
        return { ...base, available: false, error: describeError(err), problems: [], excerpt: [] };
      }
    }),
  );
}

const MEANING: Record<ConsoleProblemKind, string> = {
  'nftables-missing': 'nftables is not installed: the AMI bake is bad and the instance forwards without SNAT',
  'nftables-failed': 'the nftables ruleset failed to load: no masquerade (SNAT) rule',
  masquerade: 'the masquerade rule failed: forwarded traffic leaves without SNAT',
  'forwarding-off': 'IP forwarding is off: the instance does not forward',
};

export function consoleFindings(diagnoses: ConsoleDiagnosis[]): Finding[] {
  const findings: Finding[] = [];
  for (const d of diagnoses) {
    const at = { check: 'diagnosis' as const, resource: d.instanceId, ...(d.az ? { az: d.az } : {}) };
    if (d.error) {
      findings.push({
        ...at,
        severity: 'warning',
        message: `Console output of ${d.instanceId} could not be read: ${d.error}`,
      });
    } else if (!d.available) {
      findings.push({ ...at, severity: 'info', message: `Console output of ${d.instanceId} is not available (yet)` });
    } else if (d.problems.length === 0) {
      findings.push({
        ...at,
        severity: 'info',
        message: `Console output of ${d.instanceId} shows no nftables, masquerade or forwarding failure`,
      });
    }
    for (const p of d.problems) {
      findings.push({
        ...at,
        severity: 'error',
        message: `NAT instance ${d.instanceId}: ${MEANING[p.kind]} (console: ${JSON.stringify(p.line)})`,
      });
    }
  }
  return findings;
}
