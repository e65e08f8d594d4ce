/**
 * Where the repository and the read-only references live. CI clones the repository with `shared/`
 * beside it, so shared/ is resolved as `<repo>/../shared`, never as an absolute path.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
export const SHARED_ROOT = resolve(REPO_ROOT, "../shared");
export const RGMANAGER_REFERENCE = join(SHARED_ROOT, "reference", "rgmanager");

/** The build output and the rgmanager shim written by the raid-agent work (issue 2). */
export const RAID_BUNDLE = join(REPO_ROOT, "dist", "raid.cjs");
export const RGMANAGER_SHIM = join(REPO_ROOT, "packaging", "shims", "rgmanager-raid.sh");

/** Throws an error that names the missing file and who produces it, instead of a skip that hides it. */
export function requireFile(path: string, producedBy: string): string {
  if (!existsSync(path)) throw new Error(`missing ${path} — ${producedBy}`);
  return path;
}
