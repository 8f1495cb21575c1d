/**
 * What the summary says about a bridged switch: where each AZ's private route points (on its new NAT, bridged to
 * another AZ's, or not switched yet), whether that target served at the last check, the outage the cutover saw, and
 * — when the switch stopped — one line per AZ with what to run next. Values are EC2 ids and AZ keys.
 */
import { code, escapeText, table } from '../report/index';
import type { CutoverResult } from './run';
import type { BridgeRecord } from './switch-types';

function where(b: BridgeRecord): string {
  const az = b.targetAz && b.state === 'bridged' ? ` (AZ ${b.targetAz})` : '';
  const target = `${b.targetNat ?? b.target ?? 'no route'}${az}`;
  return `${target}${b.serving === false ? ', NOT serving' : ', serving'}`;
}

/** One line per AZ for "What to do" when a bridged switch stopped, then what to run next. */
export function bridgeStatusLines(r: CutoverResult): string[] {
  const lines = r.bridges.map((b) => {
    const rt = b.routeTableId;
    if (b.state === 'home') return `AZ ${b.az} (${rt}) is switched: its route is on its new NAT ${where(b)}.`;
    if (b.state === 'bridged')
      return (
        `AZ ${b.az} (${rt}) is bridged to ${where(b)}: it keeps egress from an allow-listed Elastic IP meanwhile ` +
        '(inter-AZ transfer is charged while it stays there).'
      );
    return `AZ ${b.az} (${rt}) is not switched yet: its route is on ${where(b)}.`;
  });
  const bridged = r.bridges.some((b) => b.state === 'bridged');
  return [
    ...lines,
    bridged
      ? 'Re-run all jobs of the workflow (plan, review, apply with cutover): it finds the bridged AZs on their ' +
        'bridges and finishes the switch from there. To end a bridge by hand instead, point the route back at the ' +
        "AZ's own NAT once it serves: aws ec2 replace-route --route-table-id <rtb> " +
        '--destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat> (or --network-interface-id <eni>).'
      : 'Re-run all jobs of the workflow (plan, review, apply with cutover) to finish the switch.',
  ];
}

/** The "Bridged switch" section: each AZ's route at the end, moves and the outage seen. */
export function bridgesSection(r: CutoverResult): string[] {
  if (r.strategy !== 'bridge' || r.bridges.length === 0) return [];
  const gaps = new Map(r.egressGaps.map((g) => [g.az, g]));
  const rows = r.bridges.map((b) => {
    const g = gaps.get(b.az);
    const outage =
      g?.seconds === undefined
        ? 'open'
        : g.seconds === 0
          ? 'none seen'
          : `${g.seconds.toFixed(1)} s (≥ ${(g.atLeastSeconds ?? 0).toFixed(1)} s)`;
    return [
      code(b.az, true),
      code(b.routeTableId, true),
      code(b.state, true),
      b.target ? `${code(b.targetNat ?? b.target, true)}${b.targetAz ? ` (AZ ${code(b.targetAz, true)})` : ''}` : '—',
      b.serving === undefined ? '' : b.serving ? 'yes' : '**no**',
      String(b.moves),
      String(g?.routeChanges ?? 0),
      escapeText(outage),
    ];
  });
  const head = ['AZ', 'route table', 'state', 'route target', 'serving', 'watch moves', 'route changes', 'outage seen'];
  return ['### Bridged switch', '', table(head, rows), ''];
}
