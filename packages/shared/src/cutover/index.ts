/**
 * The cutover engine (cutover.ts lists its phases): what the action entry and the bench use. Tests import the
 * phases and their helpers by path.
 */
export { runCutover, runRecover } from './cutover';
export type { CutoverDeps, CutoverOptions, CutoverOutput, CutoverResult, RestoreMode } from './run';
export { cutoverInputs, type CutoverInputs } from './inputs';
export { openStateAccess, type StateAccess } from './state-access';
export { createIamClient } from './clients';
export { JOURNAL_FINAL_WRITE_MS } from './journal';
export { renderSummary } from './summary';
export type { CutoverJournal, JournalIntent, JournalKind, RunIdentity } from './journal-types';
export { ADAPTIVE_MAX_MS } from './release';
export {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
  createEc2Client,
} from './clients';
