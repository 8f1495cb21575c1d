/** Shapes the bridged switch shares with the result, the summary and the outputs (bridged.ts builds them). */

/** What a cutover runs: the bridged switch (one AZ at a time) or the whole plan in one apply (in-place). */
export type Strategy = 'bridge' | 'in-place';

/** One AZ's longest egress outage as the cutover saw it (the `egress-gaps` output, one per AZ). */
export interface AzGap {
  /** The AZ key of the plan (count index or for_each key). */
  az: string;
  /** Its private route table, when the cutover read it (bridged switch). */
  routeTableId?: string;
  /**
   * Seconds of the longest outage: an upper bound (from the last moment the cutover saw egress up); 0 when the
   * AZ's route only ever moved between serving NATs; undefined while egress is not restored.
   */
  seconds?: number;
  /** A lower bound of that outage (from the moment the cutover saw it), when it only saw it by polling. */
  atLeastSeconds?: number;
  /** The bounds of the longest outage (ISO 8601), and what started and ended it. */
  from?: string;
  to?: string;
  fromWhat?: string;
  toWhat?: string;
  /** Changes of the AZ's private default route (each drops the connections open through the old target). */
  routeChanges?: number;
}

/** Where one AZ's private default route points during and after a bridged switch. */
export interface BridgeRecord {
  az: string;
  routeTableId: string;
  /** pending (not reached yet), bridged (on another AZ's NAT), home (on its own new NAT). */
  state: 'pending' | 'bridged' | 'home';
  /** The route's target now (nat-…, eni-…), and the NAT (gateway or instance id) and AZ key it belongs to. */
  target?: string;
  targetNat?: string;
  targetAz?: string;
  /** The target was seen serving at the last check. */
  serving?: boolean;
  /** Times the watch moved this AZ because its target stopped serving. */
  moves: number;
}
