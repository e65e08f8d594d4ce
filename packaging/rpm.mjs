#!/usr/bin/env node
// npm run rpm -- [--dist el9|el8|el7|el6 ...] [--out <dir>]
// Builds the noarch RPM(s) with rpmbuild (Debian's rpm package works; installed by host-deps.mjs when
// missing) from a source tarball of what rpm.spec's %install needs: dist/ (the bundles, already built),
// packaging/, README.md, package.json, rpm.spec and the licence files of the bundled packages.
// Default: el9 (systemd units) and el6 (SysV scripts), into out/rpm/ (gitignored).
// Prints the path of every RPM built on stdout, one a line.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundledPackageDirs, licenseSourceFiles } from "./third-party-licenses.mjs";

const USAGE = "usage: node packaging/rpm.mjs [--dist el9|el8|el7|el6 ...] [--out <dir>]   (or: npm run rpm -- ...)";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** @param {string} message @param {number} [code] */
function fail(message, code = 1) {
  console.error(`rpm: ${message}`);
  process.exit(code);
}

/** @param {string[]} argv */
function parseArgs(argv) {
  const dists = [];
  let out = join(root, "out", "rpm");
  for (let k = 0; k < argv.length; k += 1) {
    const a = /** @type {string} */ (argv[k]);
    if (a === "--dist") {
      const d = argv[(k += 1)] ?? "";
      if (!/^el[6-9]$/.test(d)) fail(`--dist must be el6, el7, el8 or el9, got "${d}"\n${USAGE}`, 2);
      dists.push(d);
    } else if (a === "--out") {
      const o = argv[(k += 1)] ?? "";
      if (o === "") fail(`--out needs a folder\n${USAGE}`, 2);
      out = isAbsolute(o) ? o : resolve(process.cwd(), o);
    } else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument "${a}"\n${USAGE}`, 2);
  }
  return { dists: dists.length > 0 ? dists : ["el9", "el6"], out };
}

const { dists, out } = parseArgs(process.argv.slice(2));

// rpmbuild and rpmlint come from Debian's rpm and rpmlint packages (profile "test").
const deps = spawnSync(process.execPath, [join(root, "packaging", "host-deps.mjs"), "test"], { stdio: "inherit" });
if (deps.status !== 0) fail("host-deps.mjs test could not provide rpmbuild (see above)");

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const spec = readFileSync(join(root, "rpm.spec"), "utf8");
const specVersion = /^Version:\s*(\S+)\s*$/m.exec(spec)?.[1];
if (specVersion !== pkg.version) {
  fail(`rpm.spec says Version: ${specVersion ?? "(none)"} but package.json says ${pkg.version}: bump both, and add a %changelog entry`);
}
const metaPath = join(root, "dist", "meta.json");
if (!existsSync(metaPath)) fail("dist/meta.json is missing: run npm run build first (npm run rpm does)");
const licenceFiles = licenseSourceFiles(root, bundledPackageDirs(JSON.parse(readFileSync(metaPath, "utf8"))));
if (!licenceFiles.ok) fail(`third-party licences:\n  - ${licenceFiles.errors.join("\n  - ")}`);

// The staging command is what %install runs: let it check its inputs here first, so a missing file is
// reported as itself (and who writes it) instead of deep inside rpmbuild's output.
const preflight = mkdtempSync(join(tmpdir(), "pmsapp-rpm-preflight-"));
let refused;
for (const init of new Set(dists.map((d) => (d === "el6" ? "sysv" : "systemd")))) {
  const st = spawnSync(process.execPath, [join(root, "packaging", "stage.mjs"), "--init", init, join(preflight, init)], { encoding: "utf8" });
  if (st.status !== 0) {
    process.stderr.write(st.stderr);
    refused = init;
    break;
  }
}
rmSync(preflight, { recursive: true, force: true });
if (refused !== undefined) fail(`the staging command (--init ${refused}) refuses, so rpmbuild's %install would too; nothing was built`);

// The source tarball: only what %install (packaging/stage.mjs) reads.
const name = `${pkg.name}-${pkg.version}`;
for (const d of ["SOURCES", "SPECS", "BUILD", "RPMS", "SRPMS", "BUILDROOT"]) mkdirSync(join(out, d), { recursive: true });
const work = mkdtempSync(join(out, "tarball-"));
try {
  const top = join(work, name);
  mkdirSync(top);
  const parts = ["dist", "packaging", "README.md", "package.json", "rpm.spec", ...licenceFiles.files];
  for (const p of parts) {
    cpSync(join(root, p), join(top, p), {
      recursive: true,
      // Tests next to the packaging modules are not part of the source the spec builds from.
      filter: (src) => !/\.test\.ts$/.test(src),
    });
  }
  execFileSync(
    "tar",
    ["--create", "--gzip", "--file", join(out, "SOURCES", `${name}.tar.gz`), "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", work, name],
    { stdio: "inherit" },
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
cpSync(join(root, "rpm.spec"), join(out, "SPECS", `${pkg.name}.spec`));

const built = [];
for (const dist of dists) {
  const release = dist.slice(2);
  const before = new Set(listRpms());
  const args = [
    "--define", `_topdir ${out}`,
    "--define", `rhel ${release}`,
    "--define", `dist .${dist}`,
    // gzip payload and SHA-256 file digests: readable by EL6's rpm 4.8 as well as by EL9's.
    "--define", "_binary_payload w9.gzdio",
    // Debian's rpm database does not know the dpkg-installed node that BuildRequires names.
    "--nodeps",
    "-bb",
    join(out, "SPECS", `${pkg.name}.spec`),
  ];
  console.error(`rpm: rpmbuild for ${dist}`);
  const r = spawnSync("rpmbuild", args, { encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    fail(`rpmbuild for ${dist} failed (exit ${r.status}); its output is above`);
  }
  const fresh = listRpms().filter((f) => !before.has(f) || f.includes(`.${dist}.`));
  const mine = fresh.filter((f) => f.includes(`.${dist}.noarch.rpm`));
  if (mine.length !== 1) fail(`rpmbuild for ${dist} succeeded but ${mine.length} ${dist} RPMs are in ${join(out, "RPMS", "noarch")}`);
  built.push(/** @type {string} */ (mine[0]));
}
for (const f of built) console.log(f);

function listRpms() {
  const dir = join(out, "RPMS", "noarch");
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".rpm")).map((f) => join(dir, f)) : [];
}
