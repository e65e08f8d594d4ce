import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { bundledPackageDirs, licenseSourceFiles, thirdPartyLicenses } from "./third-party-licenses.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "pmsapp-licences-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Inputs as esbuild's metafile names them: paths relative to the build's working directory. Each one is
// a real file of this checkout, so the packages below really exist.
const INPUTS = {
  light: ["agents/ocf/exit-codes.ts", "node_modules/zod/v4/core/util.js"],
  heavy: ["node_modules/@sindresorhus/merge-streams/index.js", "node_modules/ws/lib/websocket.js", "node_modules/zod/v4/core/util.js"],
};

describe("bundledPackageDirs", () => {
  it("the example inputs are files of this checkout", () => {
    for (const p of [...INPUTS.light, ...INPUTS.heavy]) expect(existsSync(join(ROOT, p)), p).toBe(true);
  });

  it("names each package once, scoped packages with their scope, and no project source", () => {
    const meta = [
      { out: "raid.cjs", inputs: INPUTS.light },
      { out: "pmsappd.cjs", inputs: INPUTS.heavy },
    ];
    expect(bundledPackageDirs(meta)).toEqual(["node_modules/@sindresorhus/merge-streams", "node_modules/ws", "node_modules/zod"]);
  });

  it("keeps a nested copy of a package as its own entry (it may be another version)", () => {
    expect(bundledPackageDirs([{ out: "x.cjs", inputs: ["node_modules/a/node_modules/b/index.js", "node_modules/b/index.js"] }])).toEqual([
      "node_modules/a/node_modules/b",
      "node_modules/b",
    ]);
  });
});

describe("licenseSourceFiles", () => {
  it("finds package.json and the licence file whatever its case", () => {
    const r = licenseSourceFiles(ROOT, ["node_modules/@sindresorhus/merge-streams", "node_modules/zod"]);
    expect(r).toEqual({
      ok: true,
      files: ["node_modules/@sindresorhus/merge-streams/package.json", "node_modules/@sindresorhus/merge-streams/license", "node_modules/zod/package.json", "node_modules/zod/LICENSE"],
    });
  });

  it("refuses a package that ships no licence file (stackback, a dev-only dependency here) and one not installed", () => {
    const r = licenseSourceFiles(ROOT, ["node_modules/stackback", "node_modules/not-installed-pkg"]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      "node_modules/stackback has no LICENSE file: its licence text must be shipped, add it by hand to packaging/ or drop the dependency",
      "node_modules/not-installed-pkg/package.json is missing: run npm ci (the bundles name this package in dist/meta.json)",
    ]);
  });
});

describe("thirdPartyLicenses", () => {
  it("asks for a build when dist/meta.json is missing or broken", () => {
    const root = join(scratch, "no-build");
    mkdirSync(root);
    expect(thirdPartyLicenses(root)).toEqual({ ok: false, errors: ["dist/meta.json is missing: run npm run build first"] });
    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "dist", "meta.json"), "[{");
    const broken = thirdPartyLicenses(root);
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.errors[0]).toMatch(/^dist\/meta.json is not valid JSON .*: rerun npm run build$/);
  });

  it("reproduces each bundled package's licence under its name, version and the bundles that carry it", () => {
    const root = join(scratch, "built");
    mkdirSync(join(root, "dist"), { recursive: true });
    const meta = [{ out: "pmsappd.cjs", inputs: INPUTS.heavy }];
    writeFileSync(join(root, "dist", "meta.json"), JSON.stringify(meta));
    mkdirSync(join(root, "node_modules"));
    for (const pkg of ["ws", "zod", "@sindresorhus"]) {
      // The real packages, linked: their own package.json and licence files are what gets reproduced.
      symlinkSync(join(ROOT, "node_modules", pkg), join(root, "node_modules", pkg));
    }
    const r = thirdPartyLicenses(root);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const zod = JSON.parse(readFileSync(join(ROOT, "node_modules/zod/package.json"), "utf8")) as { version: string };
    expect(r.packages).toContain(`zod@${zod.version}`);
    expect(r.text).toContain(`\nzod ${zod.version} (MIT), in pmsappd.cjs\n`);
    expect(r.text).toContain("Copyright (c) 2025 Colin McDonnell");
    expect(r.text.startsWith("Third-party software bundled into /usr/lib/pmsapp/*.cjs\n")).toBe(true);
  });
});
