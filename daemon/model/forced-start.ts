/**
 * Which of the raid agent's starts went past a safety rule, from its journal decision: "forced" when md's
 * own refusal was overridden (`force-assemble`: a dirty degraded RAID5 started with mdadm --force) or the
 * `degraded=force` policy started without proof of freshness (a "FORCED ..." warning); "overridden" when an
 * operator's `pmsapp override` let it through (an "OVERRIDE ..." warning). Such starts may have lost writes,
 * so they are streamed loudly and kept for `pmsapp status`.
 */
export type ForcedStart = "forced" | "overridden";

export const FORCED_START_DECISION = "force-assemble";

export function forcedStart(decision: unknown, warnings: unknown): ForcedStart | undefined {
  if (decision === FORCED_START_DECISION) return "forced";
  if (!Array.isArray(warnings)) return undefined;
  const texts = warnings.filter((w): w is string => typeof w === "string");
  if (texts.some((w) => w.startsWith("FORCED "))) return "forced";
  if (texts.some((w) => w.startsWith("OVERRIDE "))) return "overridden";
  return undefined;
}
