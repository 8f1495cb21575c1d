/** Types of duration.js (plain JavaScript so the nat-egress CLI can import it without a TypeScript loader). */

/** `1h 2m 3s`-style rendering; `250 ms` below a second; `?` for a negative or non-finite value. */
export declare function formatDuration(ms: number): string;

/** Whole seconds: `0s` below a second, else formatDuration. */
export declare function formatElapsed(ms: number): string;
