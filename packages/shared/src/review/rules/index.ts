/**
 * plan-guard's rules, in priority order: the claim pass (review/claim.ts) runs them top to bottom, and a change a
 * finding has claimed is not seen by the rules below it. So the more specific explanation comes first: bookkeeping
 * before anything that reads like a change, whole-environment events before the per-resource findings they
 * explain, deletions before updates, and capacity (anything created that nothing above explained) near the end.
 *
 * A new rule: write it as a named ItemRule (one change at a time) or PlanRule (the whole plan) in the module of
 * its section (or a new module for a new section), add it here where its priority puts it, and test it in
 * packages/shared/test/review/<section>.test.ts. NAT attributes come from nat/ (nat/facts.ts), plan-format facts
 * from plan/, wording shared between rules from review/text.ts.
 */
import type { Rule } from '../claim';
import { eipDeletedOrReplaced } from './addresses';
import { associationChanged, eipUpdated, routeChanged } from './associations-routes';
import { launchTemplateOrGroup } from './autoscaling';
import { bookkeeping } from './bookkeeping';
import { eipAdded, natAdded } from './capacity';
import { environment } from './environment';
import {
  deposedDeleted,
  gatewayDeletedOrReplaced,
  gatewayUpdated,
  instanceDeletedOrReplaced,
  instanceUpdated,
} from './nat-resources';
import { privateGateway } from './private-gateways';
import { regionalAutomaticAddresses, regionalZoneChanged } from './regional';
import { strategyRefused } from './strategy';
import { imageBuilder, securityOrIam } from './supporting';
import { untestedAmiLaunched } from './images';

export const RULES: readonly Rule[] = [
  // Bookkeeping that changes no infrastructure, and NAT gateways that give no internet egress.
  bookkeeping,
  privateGateway,
  // The outbound addresses everything outside depends on.
  eipDeletedOrReplaced,
  // Whole-environment events (mode switch, handover, quiesce, restored), from the NAT comparison.
  environment,
  // strategy: bridge on a plan the cutover would refuse to bridge (claims no change).
  strategyRefused,
  regionalAutomaticAddresses,
  // Per-resource NAT events.
  deposedDeleted,
  instanceDeletedOrReplaced,
  instanceUpdated,
  gatewayDeletedOrReplaced,
  regionalZoneChanged,
  gatewayUpdated,
  launchTemplateOrGroup,
  // Associations and routes not explained above.
  associationChanged,
  eipUpdated,
  routeChanged,
  // Capacity added.
  natAdded,
  eipAdded,
  // Security groups, IAM and the AMI pipeline.
  securityOrIam,
  imageBuilder,
  // The image new NAT instances and launch templates would launch (whatever explained their creation above).
  untestedAmiLaunched,
];
