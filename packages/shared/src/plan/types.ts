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

/**
 * One resource instance of the plan's `prior_state` (terraform's "values representation"): the state the plan
 * started from, with the data sources terraform read while planning (their values are what the plan uses).
 */
export interface PriorResource {
  /** Full address, e.g. module.vpc.data.aws_ami.custom_nat[0]. */
  address: string;
  mode?: 'managed' | 'data' | (string & {});
  type: string;
  name: string;
  index?: number | string;
  values?: unknown;
  /** Marks the values terraform treats as sensitive (same shape as `after_sensitive`). */
  sensitive_values?: unknown;
}

/** One resource block of the plan's `configuration` ("configuration representation"), with its module path. */
export interface ConfigResource {
  /** The block's address with its module calls by name and no instance keys, e.g. module.vpc.aws_instance.nat. */
  address: string;
  /** The module calls it sits under, e.g. `module.vpc` ('' at the root). */
  moduleAddress: string;
  mode?: 'managed' | 'data' | (string & {});
  type: string;
  name: string;
  /**
   * Its arguments as terraform records them: per argument `{constant_value}` or `{references: [...]}` (nested
   * blocks as arrays of such objects). Never values to show: a constant can be sensitive.
   */
  expressions?: Record<string, unknown>;
}

/** What a plan's prior_state and configuration hold of the resource types the caller asked for. */
export interface PlanSections {
  priorState: PriorResource[];
  configuration: ConfigResource[];
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
  /** The prior_state resources and configuration blocks of the types LoadOptions asked for (else empty). */
  sections: PlanSections;
}

export interface LoadResult {
  documents: LoadedPlan[];
  /** Warnings about the input as a whole (encoding, wrapper noise). */
  warnings: string[];
  bytes: number;
}
