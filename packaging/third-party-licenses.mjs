// The licences of the third-party code bundled into dist/*.cjs, collected from dist/meta.json (the
// esbuild inputs of every bundle, written by packaging/build.mjs) and each package's own LICENSE file
// and package.json. Built-ins only: this runs in the RPM's %install, from the source tarball.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Package directories (relative to the source root, e.g. "node_modules/@scope/name") whose files are
 * inside any bundle. Nested node_modules are kept as their own package.
 * @param {{ out: string, inputs: string[] }[]} meta
 * @returns {string[]}
 */
export function bundledPackageDirs(meta) {
  const dirs = new Set();
  for (const bundle of meta) {
    for (const input of bundle.inputs) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, "/"));
      if (m) dirs.add(/** @type {string} */ (m[1]));
    }
  }
  return [...dirs].sort();
}

const LICENSE_FILE = /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i;

/**
 * The files a package's licence notice is built from, relative to the source root: package.json and
 * its LICENSE file. rpm.mjs copies exactly these into the source tarball.
 * @param {string} root
 * @param {string[]} packageDirs
 * @returns {{ ok: true, files: string[] } | { ok: false, errors: string[] }}
 */
export function licenseSourceFiles(root, packageDirs) {
  const files = [];
  const errors = [];
  for (const dir of packageDirs) {
    if (!existsSync(join(root, dir, "package.json"))) {
      errors.push(`${dir}/package.json is missing: run npm ci (the bundles name this package in dist/meta.json)`);
      continue;
    }
    const licence = readdirSync(join(root, dir)).filter((f) => LICENSE_FILE.test(f)).sort()[0];
    if (licence === undefined) {
      errors.push(`${dir} has no LICENSE file: its licence text must be shipped, add it by hand to packaging/ or drop the dependency`);
      continue;
    }
    files.push(`${dir}/package.json`, `${dir}/${licence}`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, files };
}

/**
 * The text of /usr/share/licenses/pmsapp/THIRD-PARTY-LICENSES.
 * @param {string} root source root (clone or unpacked tarball)
 * @returns {{ ok: true, text: string, packages: string[] } | { ok: false, errors: string[] }}
 */
export function thirdPartyLicenses(root) {
  const metaPath = join(root, "dist", "meta.json");
  if (!existsSync(metaPath)) return { ok: false, errors: ["dist/meta.json is missing: run npm run build first"] };
  /** @type {{ out: string, inputs: string[] }[]} */
  let meta;
  try {
    meta = JSON.parse(readFileSync(metaPath, "utf8"));
  } catch (e) {
    return { ok: false, errors: [`dist/meta.json is not valid JSON (${String(e)}): rerun npm run build`] };
  }
  const dirs = bundledPackageDirs(meta);
  const sources = licenseSourceFiles(root, dirs);
  if (!sources.ok) return sources;
  const parts = [
    "Third-party software bundled into /usr/lib/pmsapp/*.cjs",
    "",
    "The pmsapp bundles are built with esbuild and contain code from the packages below, each under",
    "its own licence, reproduced here from the package. pmsapp itself is licensed under the MIT licence.",
    "",
  ];
  const packages = [];
  for (let k = 0; k < sources.files.length; k += 2) {
    const pkgFile = /** @type {string} */ (sources.files[k]);
    const licFile = /** @type {string} */ (sources.files[k + 1]);
    const pkg = JSON.parse(readFileSync(join(root, pkgFile), "utf8"));
    const licence = typeof pkg.license === "string" ? pkg.license : (pkg.license?.type ?? "see text");
    const usedBy = meta.filter((b) => b.inputs.some((i) => i.startsWith(pkgFile.replace(/package\.json$/, "")))).map((b) => b.out);
    packages.push(`${pkg.name}@${pkg.version}`);
    parts.push(
      "=".repeat(78),
      `${pkg.name} ${pkg.version} (${licence}), in ${usedBy.join(", ")}`,
      "=".repeat(78),
      readFileSync(join(root, licFile), "utf8").trimEnd(),
      "",
    );
  }
  if (packages.length === 0) parts.push("(No third-party package is bundled in this build.)", "");
  return { ok: true, text: parts.join("\n"), packages };
}
