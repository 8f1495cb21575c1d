/** The parts of Terraform's JSON plan representation (`terraform show -json`) this toolkit reads. */

export type PlanAction = 'no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget' | (string & {});

export interface Change {
  actions: PlanAction[];
  before?: unknown;
  after?: unknown;
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  replace_paths?: unknown[][];
  importing?: unknown;
}

export interface ResourceChange {
  address: string;
  module_address?: string;
  mode?: 'managed' | 'data' | (string & {});
  type: string;
  name: string;
  index?: number | string;
  provider_name?: string;
  deposed?: string;
  /** The resource's address before a `moved` block renamed it (terraform ≥ 1.1). */
  previous_address?: string;
  action_reason?: string;
  change: Change;
}

/** What a plan document says about itself, read from its top-level keys. */
export interface PlanHeader {
  formatVersion?: string;
  /** HCP Terraform's redacted plan JSON carries this instead of format_version. */
  planFormatVersion?: string;
  terraformVersion?: string;
  errored?: boolean;
  applyable?: boolean;
  complete?: boolean;
  /** Every top-level key seen (used to tell plans from state files). */
  keys: string[];
}

export interface LoadedPlan {
  /** 0-based position of the document in the input (JSON lines may hold several). */
  index: number;
  header: PlanHeader;
  /** The resource changes the caller chose to keep (all, unless a `keep` filter was given). */
  changes: ResourceChange[];
  /** All resource changes in the document, kept or not. */
  totalChanges: number;
  /** Count of resource changes by action kind (create, update, delete, replace, no-op, read, forget). */
  actionCounts: Record<string, number>;
  /** Stable digest of the planned changes (resource and output changes), hex SHA-256. */
  digest: string;
  /** Things worth telling the operator that do not stop the analysis. */
  warnings: string[];
}

export interface LoadResult {
  documents: LoadedPlan[];
  /** Warnings about the input as a whole (encoding, wrapper noise). */
  warnings: string[];
  bytes: number;
}
