/**
 * The cutover engine (cutover.ts lists its phases): what the action entry and the bench use. Tests import the
 * phases and their helpers by path.
 */
export { runCutover, runRecover } from './cutover';
export type { CutoverDeps, CutoverOptions, CutoverOutput, CutoverResult, RestoreMode } from './run';
export type { AzGap, BridgeRecord, Strategy } from './switch-types';
export { cutoverInputs, type CutoverInputs } from './inputs';
export { openStateAccess, type StateAccess } from './state-access';
export { createIamClient } from './clients';
export { JOURNAL_FINAL_WRITE_MS } from './journal';
export { renderSummary } from './summary';
export type { CutoverJournal, JournalEntry, JournalIntent, JournalKind, RunIdentity } from './journal-types';
export { ADAPTIVE_MAX_MS } from './release';
export {
  AssociateAddressCommand,
  CloudWatchClient,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ReplaceRouteCommand,
  createCloudWatchClient,
  createEc2Client,
} from './clients';
