// Types for third-party-licenses.mjs (plain JS so the RPM's %install can run it without a build step).
export interface BundleMeta {
  readonly out: string;
  readonly inputs: readonly string[];
}
export function bundledPackageDirs(meta: readonly BundleMeta[]): string[];
export function licenseSourceFiles(
  root: string,
  packageDirs: readonly string[],
): { ok: true; files: string[] } | { ok: false; errors: string[] };
export function thirdPartyLicenses(
  root: string,
): { ok: true; text: string; packages: string[] } | { ok: false; errors: string[] };
