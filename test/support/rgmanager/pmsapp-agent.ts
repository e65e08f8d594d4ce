/**
 * The pmsapp-raid agent as rgmanager would find it: the rgmanager shim (packaging/shims/rgmanager-raid.sh,
 * installed as /usr/share/cluster/pmsapp-raid.sh) in front of the built light bundle (dist/raid.cjs).
 *
 * The only variables the tests add to rgmanager's exact environment are the agent's documented test
 * seams, listed here so a test can assert that nothing else slipped in:
 * - PMSAPP_LIBDIR: where the shim finds raid.cjs (dist/ instead of /usr/lib/pmsapp);
 * - PMSAPP_JOURNAL: where the agent appends its journal (a scratch file instead of /var/lib/pmsapp).
 */
import { dirname } from "node:path";
import { metadataLikeRgmanager } from "./invoke.js";
import { RAID_BUNDLE, RGMANAGER_SHIM, requireFile } from "./paths.js";

export const TYPE_NAME = "pmsapp-raid";
/** The file name rgmanager loads it from (/usr/share/cluster/pmsapp-raid.sh), used for schema ordering. */
export const INSTALLED_NAME = "pmsapp-raid.sh";
export const SEAM_NAMES = ["PMSAPP_LIBDIR", "PMSAPP_JOURNAL"] as const;

/** Fails with the missing file's name and who produces it (no skip that would hide a missing agent). */
export function pmsappShim(): string {
  requireFile(RGMANAGER_SHIM, "the rgmanager shim is written by the raid-agent work (issue 2)");
  requireFile(RAID_BUNDLE, "build it with `npm run build` (npm test and npm run test:contract do)");
  return RGMANAGER_SHIM;
}

/** The seam that points the shim at dist/ — the only variable in the meta-data run's environment. */
export function libdirSeam(): Record<string, string> {
  return { PMSAPP_LIBDIR: dirname(RAID_BUNDLE) };
}

/** `pmsapp-raid.sh meta-data` run exactly as rgmanager runs it; throws if it cannot be run at all. */
export function pmsappMetadata(): { readonly exitCode: number | null; readonly stdout: string } {
  return metadataLikeRgmanager(pmsappShim(), libdirSeam());
}
