#!/usr/bin/env node
// npm run stage -- [--init systemd|sysv] <destdir>
// Lays out the installed tree of pmsapp under <destdir> (packaging/layout.mjs), with its modes. rpm.spec's
// %install runs this same command on the source tarball, and the lab installs the same tree into its
// image. Everything is checked before anything is written: a missing input is reported with who writes
// it, and <destdir> is left untouched. Built-ins only (it runs in %install, without node_modules).
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { INIT_SYSTEMS, OWNED_DIRS, copiedFiles } from "./layout.mjs";
import { renderManPages } from "./man/pages.mjs";
import { thirdPartyLicenses } from "./third-party-licenses.mjs";

const USAGE = "usage: node packaging/stage.mjs [--init systemd|sysv] <destdir>   (or: npm run stage -- [--init sysv] <destdir>)";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** @param {string[]} argv */
function parseArgs(argv) {
  let init = "systemd";
  const rest = [];
  for (let k = 0; k < argv.length; k += 1) {
    const a = /** @type {string} */ (argv[k]);
    if (a === "--init") {
      init = argv[k + 1] ?? "";
      k += 1;
    } else if (a.startsWith("--init=")) init = a.slice("--init=".length);
    else if (a === "-h" || a === "--help") return { help: true };
    else if (a.startsWith("-")) return { error: `unknown option ${a}` };
    else rest.push(a);
  }
  if (!INIT_SYSTEMS.includes(init)) return { error: `--init must be one of ${INIT_SYSTEMS.join(", ")}, got "${init}"` };
  if (rest.length === 0) return { error: "missing <destdir>: the folder to lay the installed tree out in (absolute path)" };
  if (rest.length > 1) return { error: `expected one <destdir>, got ${rest.length}: ${rest.join(" ")}` };
  const destdir = /** @type {string} */ (rest[0]);
  if (!isAbsolute(destdir)) return { error: `<destdir> must be an absolute path, got "${destdir}" (try "$PWD/${destdir}")` };
  if (resolve(destdir) === sep) {
    return { error: "refusing to stage into / (that would install over this machine): install the RPM, or stage into an image folder" };
  }
  if (existsSync(destdir) && !statSync(destdir).isDirectory()) return { error: `<destdir> ${destdir} exists and is not a directory` };
  return { init: /** @type {"systemd" | "sysv"} */ (init), destdir: resolve(destdir) };
}

/**
 * Everything the tree will hold, or the list of what is missing.
 * @param {"systemd" | "sysv"} init
 */
function plan(init) {
  const errors = [];
  /** @type {{ dest: string, mode: number, content?: Buffer, src?: string }[]} */
  const files = [];
  for (const f of copiedFiles(init)) {
    if (existsSync(join(root, f.src))) files.push({ dest: f.dest, mode: f.mode, src: f.src });
    else errors.push(`${f.src} is missing (written by ${f.writtenBy}); it installs as /${f.dest}`);
  }
  const licences = thirdPartyLicenses(root);
  if (licences.ok) files.push({ dest: "usr/share/licenses/pmsapp/THIRD-PARTY-LICENSES", mode: 0o644, content: Buffer.from(licences.text) });
  else errors.push(...licences.errors.map((e) => `third-party licences: ${e}`));

  let version = "unknown";
  try {
    version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  } catch (e) {
    errors.push(`package.json is missing or unreadable (${String(e)}): the man pages carry its version`);
  }
  if (!existsSync(join(root, "README.md"))) errors.push("README.md is missing: the man pages are generated from it");
  else {
    const man = renderManPages(readFileSync(join(root, "README.md"), "utf8"), version);
    if (man.ok) {
      for (const p of man.pages) {
        // Compressed here, deterministically (no name, no time in the header), so the RPM ships these
        // exact bytes: rpm.spec turns off brp-compress.
        files.push({ dest: `usr/share/man/man${p.section}/${p.file}.gz`, mode: 0o644, content: gzipSync(Buffer.from(p.text), { level: 9 }) });
      }
    } else errors.push(...man.errors);
  }
  return { errors, files };
}

/**
 * The first existing path component of destdir/rel that is a symlink leading outside destdir (an image
 * root with an absolute link such as usr/lib/systemd -> /lib/systemd would send the files to this host).
 * @param {string} destdir @param {string} rel
 */
function escapingLink(destdir, rel) {
  if (!existsSync(destdir)) return undefined;
  const realDest = realpathSync(destdir);
  let cur = destdir;
  for (const part of dirname(rel).split("/")) {
    cur = join(cur, part);
    const st = lstatSync(cur, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    if (st.isSymbolicLink()) {
      const real = realpathSync(cur);
      if (real !== realDest && !real.startsWith(realDest + sep)) return `${cur} -> ${real}`;
    }
  }
  return undefined;
}

/** mkdir -p that gives every directory it creates mode 0755 whatever the umask. @param {string} dir */
function makeDirs(dir) {
  if (existsSync(dir)) return;
  makeDirs(dirname(dir));
  mkdirSync(dir);
  chmodSync(dir, 0o755);
}

/** @param {string[]} argv */
function main(argv) {
  const args = parseArgs(argv);
  if ("help" in args) {
    console.log(USAGE);
    return 0;
  }
  if ("error" in args) {
    console.error(`stage: ${args.error}\n${USAGE}`);
    return 2;
  }
  const { errors, files } = plan(args.init);
  if (errors.length > 0) {
    console.error(`stage: cannot lay out the tree, ${errors.length} input(s) missing; nothing was written to ${args.destdir}:`);
    for (const e of errors) console.error(`  - ${e}`);
    return 1;
  }
  const escapes = [...new Set([...OWNED_DIRS.map((d) => `${d.dest}/.`), ...files.map((f) => f.dest)].map((rel) => escapingLink(args.destdir, rel)).filter((e) => e !== undefined))];
  if (escapes.length > 0) {
    console.error(`stage: refusing, these links in ${args.destdir} lead outside it (files would land on this machine); nothing was written:`);
    for (const e of escapes) console.error(`  - ${e}`);
    return 1;
  }
  makeDirs(args.destdir);
  for (const d of OWNED_DIRS) {
    makeDirs(join(args.destdir, d.dest));
    chmodSync(join(args.destdir, d.dest), d.mode);
  }
  for (const f of files) {
    const target = join(args.destdir, f.dest);
    makeDirs(dirname(target));
    // Never write through a link that is already there (an image's /usr/bin/pmsapp pointing elsewhere).
    if (lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) unlinkSync(target);
    if (f.src !== undefined) copyFileSync(join(root, f.src), target);
    else writeFileSync(target, /** @type {Buffer} */ (f.content));
    chmodSync(target, f.mode);
  }
  console.log(`stage: ${files.length} files laid out under ${args.destdir} (init: ${args.init})`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
