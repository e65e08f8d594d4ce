/**
 * Packaging contract (issue 6): the staging command, the RPM built from it with Debian's rpmbuild, rpmlint,
 * an install into a scratch root (`rpm --root … -i --nodeps --noscripts`) compared file by file with the
 * staged tree, and the installed shims run from that root: both meta-data dialects validate against their
 * DTDs, and validate-all with a bad parameter exits 6 with a message.
 *
 * Needs dist/ (npm run test:contract builds it). While another helper's input is still missing, the RPM
 * part is skipped under a name that lists each missing file and who writes it.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, SHARED_ROOT } from "../support/rgmanager/paths.js";
import { validWithDtd } from "../support/rgmanager/xmllint.js";

const NODE = process.execPath;
const STAGE = join(REPO_ROOT, "packaging", "stage.mjs");
const RPM_BUILD = join(REPO_ROOT, "packaging", "rpm.mjs");
const RPMLINTRC = join(REPO_ROOT, "packaging", "pmsapp.rpmlintrc");
const OCF_DTD = join(SHARED_ROOT, "reference", "ocf", "ra-api-1.dtd");
const RGMANAGER_DTD = join(SHARED_ROOT, "reference", "rgmanager", "ra-api-1-modified.dtd");
/** Where `rpm --root` keeps its database inside a scratch root (Debian's default is /root/.rpmdb). */
const DBPATH = "/var/lib/rpm";

const work = mkdtempSync(join(tmpdir(), "pmsapp-packaging-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, env: opts.env ?? { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" }, input: opts.input ?? "", cwd: opts.cwd ?? REPO_ROOT });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  return r;
}
const said = (r: SpawnSyncReturns<string>) => `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

/** The inputs other helpers still owe, as the staging command reports them (it writes nothing then). */
function missingInputs(): string[] {
  const r = run(NODE, [STAGE, join(work, "preflight")]);
  if (r.status === 0) return [];
  if (r.status !== 1) throw new Error(`stage.mjs preflight failed unexpectedly: ${said(r)}`);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("  - "))
    .map((l) => l.slice(4));
}
const missing = missingInputs();

/**
 * Runs a command with the scratch root's /usr and /etc laid over the host's (a private mount namespace
 * with read-only overlays), so installed files are found at their real paths and the host's node still
 * runs. Needs CAP_SYS_ADMIN (CI runs as root); where that is not allowed, the tests using it are skipped
 * under a name that says so.
 */
const OVERLAY_RUNNER = `
const { execFileSync, spawnSync } = require("node:child_process");
const [root, cmd, ...args] = process.argv.slice(1);
for (const d of ["usr", "etc"]) execFileSync("/usr/bin/mount", ["-t", "overlay", "overlay", "-o", "lowerdir=" + root + "/" + d + ":/" + d, "/" + d]);
const r = spawnSync(cmd, args, { stdio: "inherit" });
process.exit(r.status === null ? 128 : r.status);
`;
function inRoot(root: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return run("/usr/bin/unshare", ["--mount", "--propagation", "private", "--", NODE, "-e", OVERLAY_RUNNER, root, cmd, ...args], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C", ...env },
  });
}
function overlayRefusal(): string | undefined {
  const probe = join(work, "overlay-probe");
  mkdirSync(join(probe, "usr", "pmsapp-probe"), { recursive: true });
  mkdirSync(join(probe, "etc"), { recursive: true });
  const r = inRoot(probe, "/usr/bin/test", ["-d", "/usr/pmsapp-probe"]);
  return r.status === 0 ? undefined : `unshare --mount + overlay not permitted here (exit ${r.status}: ${r.stderr.trim().split("\n")[0] ?? ""})`;
}
const noOverlay = missing.length > 0 ? undefined : overlayRefusal();

interface Entry {
  readonly type: "file" | "dir" | "symlink";
  readonly mode: number;
  readonly sha256?: string;
}
/** Every path under root (relative, no leading /) with its type, permission bits and content hash. */
function walk(root: string, skip: (rel: string) => boolean = () => false): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const rel = relative(root, full);
      if (skip(rel)) continue;
      const st = lstatSync(full);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.set(rel, { type: "dir", mode });
        visit(full);
      } else if (st.isSymbolicLink()) out.set(rel, { type: "symlink", mode });
      else out.set(rel, { type: "file", mode, sha256: createHash("sha256").update(readFileSync(full)).digest("hex") });
    }
  };
  visit(root);
  return out;
}
const filesOnly = (tree: Map<string, Entry>) => [...tree].filter(([, e]) => e.type !== "dir").map(([p, e]) => `${p} ${e.mode.toString(8)} ${e.sha256}`).sort();

describe("staging command (packaging/stage.mjs)", () => {
  it("refuses a relative destdir with exit 2 and creates nothing", () => {
    const name = `pmsapp-relative-${process.pid}`;
    const r = run(NODE, [STAGE, name], { cwd: work });
    expect(r.status, said(r)).toBe(2);
    expect(r.stderr).toContain(`<destdir> must be an absolute path, got "${name}"`);
    expect(existsSync(join(work, name))).toBe(false);
  });

  it("refuses a missing destdir, /, an unknown init system and an unknown option with exit 2", () => {
    const cases: [string[], string][] = [
      [[], "missing <destdir>"],
      [["/"], "refusing to stage into /"],
      [["--init", "upstart", join(work, "x")], '--init must be one of systemd, sysv, got "upstart"'],
      [["--force", join(work, "x")], "unknown option --force"],
    ];
    for (const [args, message] of cases) {
      const r = run(NODE, [STAGE, ...args]);
      expect(r.status, said(r)).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(existsSync(join(work, "x"))).toBe(false);
  });

  it("lists every missing input with who writes it, and writes nothing", () => {
    // A source tree with the packaging code but without bundles, shims or configs.
    const src = join(work, "bare-source");
    for (const f of ["packaging/stage.mjs", "packaging/layout.mjs", "packaging/entries.mjs", "packaging/third-party-licenses.mjs", "packaging/man", "package.json", "README.md"]) {
      cpSync(join(REPO_ROOT, f), join(src, f), { recursive: true });
    }
    const dest = join(work, "bare-dest");
    const r = run(NODE, [join(src, "packaging", "stage.mjs"), dest]);
    expect(r.status, said(r)).toBe(1);
    expect(r.stderr).toContain(`nothing was written to ${dest}`);
    expect(r.stderr).toContain("dist/raid.cjs is missing (written by the raid-agent helper (agents/raid/main.ts, bundled by npm run build)); it installs as /usr/lib/pmsapp/raid.cjs");
    expect(r.stderr).toContain("packaging/shims/ocf-raid.sh is missing (written by the raid-agent helper); it installs as /usr/lib/ocf/resource.d/pmsapp/raid");
    expect(r.stderr).toContain("packaging/shims/pmsapp-target.sh is missing (written by the target-keeper helper)");
    expect(r.stderr).toContain("packaging/config/pmsappd.conf is missing (written by the daemon helper); it installs as /etc/pmsapp/pmsappd.conf");
    expect(r.stderr).toContain("third-party licences: dist/meta.json is missing: run npm run build first");
    expect(existsSync(dest)).toBe(false);
  });
});

describe("staging command over an existing tree", () => {
  it.skipIf(missing.length > 0)("refuses a tree whose directory links lead outside it, and writes nothing", () => {
    const dest = join(work, "stage-escaping");
    const host = join(work, "host-systemd");
    mkdirSync(host);
    mkdirSync(join(dest, "usr/lib"), { recursive: true });
    symlinkSync(host, join(dest, "usr/lib/systemd"));
    const r = run(NODE, [STAGE, dest]);
    expect(r.status, said(r)).toBe(1);
    expect(r.stderr).toContain(`${join(dest, "usr/lib/systemd")} -> ${host}`);
    expect(readdirSync(host)).toEqual([]);
    expect(existsSync(join(dest, "usr/bin"))).toBe(false);
  });

  it.skipIf(missing.length > 0)("replaces a symlink at an installed path instead of writing through it", () => {
    const dest = join(work, "stage-over-links");
    const outside = join(work, "outside-file");
    writeFileSync(outside, "not pmsapp\n");
    mkdirSync(join(dest, "usr/bin"), { recursive: true });
    symlinkSync(outside, join(dest, "usr/bin/pmsapp"));
    const r = run(NODE, [STAGE, dest]);
    expect(r.status, said(r)).toBe(0);
    expect(readFileSync(outside, "utf8")).toBe("not pmsapp\n");
    expect(lstatSync(join(dest, "usr/bin/pmsapp")).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dest, "usr/bin/pmsapp"), "utf8")).toBe(readFileSync(join(REPO_ROOT, "packaging/shims/pmsapp.sh"), "utf8"));
  });
});

const flavours = [
  { dist: "el9", init: "systemd" },
  { dist: "el6", init: "sysv" },
] as const;

describe.skipIf(missing.length > 0)(`RPM${missing.length > 0 ? ` (skipped until these exist: ${missing.join(" | ")})` : ""}`, () => {
  const rpms = new Map<string, string>();
  const staged = new Map<string, string>();
  const roots = new Map<string, string>();

  beforeAll(() => {
    const out = join(work, "out");
    const built = run(NODE, [RPM_BUILD, "--out", out, ...flavours.flatMap((f) => ["--dist", f.dist])], { env: { ...process.env } });
    if (built.status !== 0) throw new Error(`npm run rpm failed: ${said(built)}`);
    for (const f of flavours) {
      const rpm = built.stdout.split("\n").find((l) => l.endsWith(`.${f.dist}.noarch.rpm`));
      if (rpm === undefined) throw new Error(`rpm.mjs printed no ${f.dist} RPM: ${said(built)}`);
      rpms.set(f.dist, rpm);

      const dest = join(work, `stage-${f.init}`);
      const st = run(NODE, [STAGE, "--init", f.init, dest]);
      if (st.status !== 0) throw new Error(`stage.mjs --init ${f.init} failed: ${said(st)}`);
      staged.set(f.dist, dest);

      const root = join(work, `root-${f.dist}`);
      mkdirSync(root);
      for (const args of [["--initdb"], ["-i", "--nodeps", "--noscripts", rpm]]) {
        const r = run("rpm", ["--root", root, "--dbpath", DBPATH, ...args]);
        if (r.status !== 0) throw new Error(`rpm --root ${root} ${args.join(" ")} failed: ${said(r)}`);
      }
      roots.set(f.dist, root);
    }
  }, 180_000);

  const query = (dist: string, format: string) => {
    const r = run("rpm", ["-qp", "--queryformat", format, rpms.get(dist) as string]);
    expect(r.status, said(r)).toBe(0);
    return r.stdout;
  };

  it("rpmlint reports 0 errors on the spec and both RPMs (filters: packaging/pmsapp.rpmlintrc)", () => {
    const r = run("rpmlint", ["-r", RPMLINTRC, join(REPO_ROOT, "rpm.spec"), ...rpms.values()]);
    expect(r.stdout, said(r)).toMatch(/\b0 errors\b/);
    expect(r.status, said(r)).toBe(0);
  });

  it("both RPMs pass rpm's digest check and carry a gzip payload (readable by EL6's rpm 4.8)", () => {
    for (const rpm of rpms.values()) {
      const k = run("rpm", ["-K", "--nosignature", rpm]);
      expect(k.status, said(k)).toBe(0);
      expect(k.stdout).toContain("digests OK");
      expect(run("rpm", ["-qp", "--queryformat", "%{PAYLOADCOMPRESSOR}", rpm]).stdout).toBe("gzip");
    }
  });

  for (const f of flavours) {
    describe(`${f.dist} (${f.init})`, () => {
      it("installs exactly the staged tree: same files, modes and bytes", () => {
        const installed = walk(roots.get(f.dist) as string, (rel) => rel === DBPATH.slice(1) || rel.startsWith(`${DBPATH.slice(1)}/`));
        const stagedTree = walk(staged.get(f.dist) as string);
        expect(filesOnly(installed)).toEqual(filesOnly(stagedTree));
        // Directories the package owns carry the staged modes (var/lib/pmsapp is 0750).
        const owned = query(f.dist, "[%{FILEMODES:perms} %{FILENAMES}\n]")
          .split("\n")
          .filter((l) => l.startsWith("d"))
          .map((l) => l.split(" ")[1] as string);
        expect(owned.length).toBeGreaterThan(0);
        for (const dir of owned) {
          const rel = dir.slice(1);
          expect(stagedTree.get(rel), `staged ${dir}`).toEqual({ type: "dir", mode: installed.get(rel)?.mode });
        }
        // The package lists nothing the install did not lay down.
        const listed = query(f.dist, "[%{FILENAMES}\n]").trim().split("\n");
        for (const p of listed) expect(installed.has(p.slice(1)), p).toBe(true);
      });

      it(`carries ${f.init === "systemd" ? "the systemd units" : "the SysV init scripts"} and the fixed layout`, () => {
        const files = query(f.dist, "[%{FILEMODES:perms} %{FILENAMES}\n]");
        const expected = [
          "-rwxr-xr-x /usr/lib/ocf/resource.d/pmsapp/raid",
          "-rwxr-xr-x /usr/share/cluster/pmsapp-raid.sh",
          "-rwxr-xr-x /usr/libexec/pmsapp/swraid",
          "-rwxr-xr-x /usr/libexec/pmsapp/pmsapp-target",
          "-rwxr-xr-x /usr/bin/pmsapp",
          "-rwxr-xr-x /usr/sbin/pmsappd",
          "-rw-r--r-- /usr/lib/pmsapp/raid.cjs",
          "-rw-r--r-- /usr/lib/pmsapp/raid-heavy.cjs",
          "-rw-r--r-- /usr/lib/pmsapp/target.cjs",
          "-rw-r--r-- /usr/lib/pmsapp/pmsappd.cjs",
          "-rw-r--r-- /usr/lib/pmsapp/pmsapp.cjs",
          "drwxr-x--- /var/lib/pmsapp",
          "drwxr-x--- /var/lib/pmsapp/journal",
          "drwxr-x--- /var/log/pmsapp",
          ...(f.init === "systemd"
            ? ["-rw-r--r-- /usr/lib/systemd/system/pmsappd.service", "-rw-r--r-- /usr/lib/systemd/system/pmsapp-target.service"]
            : ["-rwxr-xr-x /etc/rc.d/init.d/pmsappd", "-rwxr-xr-x /etc/rc.d/init.d/pmsapp-target"]),
        ];
        for (const line of expected) expect(files.split("\n"), line).toContain(line);
        if (f.init === "systemd") {
          // Both units share /run/pmsapp (tgtd.pid, pmsappd.sock): stopping one must not remove it.
          for (const unit of ["pmsappd.service", "pmsapp-target.service"]) {
            const text = readFileSync(join(roots.get(f.dist) as string, "usr/lib/systemd/system", unit), "utf8");
            expect(text, unit).toMatch(/^RuntimeDirectory=pmsapp\nRuntimeDirectoryMode=0750\nRuntimeDirectoryPreserve=yes$/m);
          }
        }
        expect(files).not.toContain(f.init === "systemd" ? "/etc/rc.d/init.d/" : "/usr/lib/systemd/");
      });

      it("marks the configs %config(noreplace) 0640 and the licences %license (%doc on EL6)", () => {
        const flags = query(f.dist, "[%{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILENAMES}\n]").split("\n");
        for (const conf of ["swraid", "target", "pmsappd"]) expect(flags).toContain(`cn -rw-r----- /etc/pmsapp/${conf}.conf`);
        expect(flags).toContain("cn -rw-r--r-- /etc/logrotate.d/pmsapp");
        // EL6's rpm 4.8 has no %license: the notices are %doc there.
        expect(flags).toContain(`${f.init === "systemd" ? "l" : "d"} -rw-r--r-- /usr/share/licenses/pmsapp/THIRD-PARTY-LICENSES`);
      });

      it("requires node >= 20.19 (file dependency, conflicts with older nodejs(engine)), mdadm, open-iscsi and tgtd", () => {
        const requires = query(f.dist, "[%{REQUIRENAME} %{REQUIREFLAGS:depflags} %{REQUIREVERSION}\n]");
        for (const dep of ["/usr/bin/node", "mdadm", "iscsi-initiator-utils", "scsi-target-utils"]) expect(requires.split("\n").map((l) => l.trim())).toContain(dep);
        expect(query(f.dist, "[%{CONFLICTNAME} %{CONFLICTFLAGS:depflags} %{CONFLICTVERSION}\n]")).toContain("nodejs(engine) < 20.19");
        expect(query(f.dist, "%{ARCH}")).toBe("noarch");
      });

      it("%pre accepts this host's Node and refuses one older than 20.19 with a message", () => {
        const pre = query(f.dist, "%{PREIN}");
        const ok = run("/bin/sh", ["-c", pre, "pre", "1"]);
        expect(ok.status, said(ok)).toBe(0);
        // The same node binary, made to report 20.18.3 (process.versions is configurable).
        const fake = join(work, "node-20.18.3.cjs");
        writeFileSync(fake, 'Object.defineProperty(process.versions, "node", { value: "20.18.3" });\n');
        const old = run("/bin/sh", ["-c", pre, "pre", "1"], { env: { PATH: "/usr/bin:/bin", NODE_OPTIONS: `--require ${fake}` } });
        expect(old.status, said(old)).toBe(1);
        expect(old.stderr).toContain("pmsapp needs Node.js >= 20.19 at /usr/bin/node");
      });

      it("registers the services without starting them, and refreshes rgmanager's schema when it can", () => {
        const post = query(f.dist, "%{POSTIN}");
        expect(post).toContain("if [ -x /usr/sbin/ccs_update_schema ]; then\n    /usr/sbin/ccs_update_schema -f");
        if (f.init === "sysv") {
          expect(post).toContain("/sbin/chkconfig --add pmsapp-target\n/sbin/chkconfig --add pmsappd");
          expect(query(f.dist, "%{PREUN}")).toContain("/sbin/chkconfig --del pmsapp-target");
        } else {
          expect(post).toContain("systemctl --no-reload preset pmsappd.service pmsapp-target.service");
          expect(query(f.dist, "%{PREUN}")).toContain("disable --now pmsappd.service pmsapp-target.service");
        }
        const postCommands = post.split("\n").filter((l) => !l.trim().startsWith("#")).join("\n");
        expect(postCommands).not.toMatch(/\b(start|enable)\b/);
        // Upgrades restart the daemon, never the target keeper (that would drop this node's export).
        const postun = query(f.dist, "%{POSTUN}");
        expect(postun).not.toMatch(/(try-restart|condrestart)[^\n]*pmsapp-target/);
        expect(query(f.dist, "%{PREIN}")).toContain("pmsapp needs Node.js >= 20.19 at /usr/bin/node");
      });
    });
  }

  describe(`installed tree at its real paths (overlay on /usr and /etc)${noOverlay ? ` (skipped: ${noOverlay})` : ""}`, () => {
    it.skipIf(noOverlay !== undefined)("systemd accepts both units (systemd-analyze verify)", () => {
      const r = inRoot(roots.get("el9") as string, "/usr/bin/systemd-analyze", ["verify", "--man=no", "/usr/lib/systemd/system/pmsappd.service", "/usr/lib/systemd/system/pmsapp-target.service"]);
      expect(r.status, said(r)).toBe(0);
      expect(r.stderr, said(r)).toBe("");
    });

    it.skipIf(noOverlay !== undefined)("the installed commands run from their real paths against the shipped /etc/pmsapp defaults", () => {
      const root = roots.get("el9") as string;
      const env = { PMSAPP_JOURNAL: join(work, "journal.jsonl") };
      const cli = inRoot(root, "/usr/bin/pmsapp", ["--help"], env);
      expect(cli.status, said(cli)).toBe(0);
      expect(cli.stdout).toContain("usage:");
      // The daemon's shipped configuration is valid as it is.
      const daemon = inRoot(root, "/usr/sbin/pmsappd", ["--check"], env);
      expect(daemon.status, said(daemon)).toBe(0);
      // The keeper's and swraid's templates name no disk or array yet: refused, with the reason, nothing done.
      const keeper = inRoot(root, "/usr/libexec/pmsapp/pmsapp-target", ["check-config"], env);
      expect(keeper.status, said(keeper)).toBe(6);
      expect(keeper.stdout + keeper.stderr).toContain("backing_device is required");
      const swraid = inRoot(root, "/usr/libexec/pmsapp/swraid", ["status"], env);
      expect(swraid.status, said(swraid)).toBe(4);
      expect(swraid.stdout + swraid.stderr).toContain("uuid");
    });

    it.skipIf(noOverlay !== undefined)("the OCF shim finds its bundle at /usr/lib/pmsapp without any seam, and refuses a bad parameter with 6", () => {
      const root = roots.get("el9") as string;
      const meta = inRoot(root, "/usr/lib/ocf/resource.d/pmsapp/raid", ["meta-data"], { OCF_ROOT: "/usr/lib/ocf" });
      expect(meta.status, said(meta)).toBe(0);
      const v = validWithDtd(meta.stdout, OCF_DTD);
      expect(v.ok, v.messages).toBe(true);
      const bad = inRoot(root, "/usr/lib/ocf/resource.d/pmsapp/raid", ["validate-all"], {
        OCF_ROOT: "/usr/lib/ocf",
        PMSAPP_JOURNAL: join(work, "journal.jsonl"),
        OCF_RESKEY_uuid: "not-a-uuid",
        OCF_RESKEY_targets: "iqn.2012-03.org.pmsapp:pmsapp1.disk@172.16.0.21",
      });
      expect(bad.status, said(bad)).toBe(6);
      expect(bad.stdout + bad.stderr).toContain("not-a-uuid");
    });
  });

  it("the SysV init scripts parse and carry chkconfig headers that register them switched off", () => {
    const root = roots.get("el6") as string;
    for (const [script, start] of [
      ["pmsapp-target", "16"],
      ["pmsappd", "19"],
    ] as const) {
      const path = join(root, "etc/rc.d/init.d", script);
      const r = run("/bin/bash", ["-n", path]);
      expect(r.status, said(r)).toBe(0);
      // "-": no runlevel switched on by chkconfig --add; the start number keeps them before cman (21).
      expect(readFileSync(path, "utf8")).toMatch(new RegExp(`^# chkconfig: - ${start} \\d+$`, "m"));
    }
  });

  describe("installed shims, run from the scratch root", () => {
    const root = () => roots.get("el9") as string;
    const agentEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
      // What a cluster manager gives: no PATH for rgmanager; the bundle is the one in the scratch root.
      PMSAPP_LIBDIR: join(root(), "usr/lib/pmsapp"),
      PMSAPP_JOURNAL: join(work, "journal.jsonl"),
      ...extra,
    });

    it("the OCF shim's meta-data validates against the OCF DTD", () => {
      const r = run(join(root(), "usr/lib/ocf/resource.d/pmsapp/raid"), ["meta-data"], { env: agentEnv({ OCF_ROOT: "/usr/lib/ocf" }) });
      expect(r.status, said(r)).toBe(0);
      expect(r.stdout.startsWith("<?xml")).toBe(true);
      const v = validWithDtd(r.stdout, OCF_DTD);
      expect(v.ok, v.messages).toBe(true);
    });

    it("the rgmanager shim's meta-data validates against rgmanager's modified DTD", () => {
      const r = run(join(root(), "usr/share/cluster/pmsapp-raid.sh"), ["meta-data"], { env: agentEnv() });
      expect(r.status, said(r)).toBe(0);
      expect(r.stdout.startsWith("<?xml")).toBe(true);
      const v = validWithDtd(r.stdout, RGMANAGER_DTD);
      expect(v.ok, v.messages).toBe(true);
    });

    for (const shim of ["usr/lib/ocf/resource.d/pmsapp/raid", "usr/share/cluster/pmsapp-raid.sh"]) {
      it(`/${shim} validate-all with a bad parameter exits 6 (not configured) and says which`, () => {
        const r = run(join(root(), shim), ["validate-all"], {
          env: agentEnv({
            OCF_ROOT: shim.includes("ocf") ? "/usr/lib/ocf" : "/usr/share/cluster",
            OCF_RESOURCE_INSTANCE: "storage",
            OCF_RESKEY_uuid: "d00d77c9:982f6ed5:e944a153:5db97044",
            // An IQN with shell characters, as a hostile or mistyped cluster.conf would give it.
            OCF_RESKEY_targets: "iqn.2012-03.org.pmsapp:pmsapp1.disk;reboot@172.16.0.21",
          }),
        });
        expect(r.status, said(r)).toBe(6);
        expect(r.stdout + r.stderr).toContain("iqn.2012-03.org.pmsapp:pmsapp1.disk;reboot");
      });
    }

    it("the CLI and daemon wrappers drop NODE_OPTIONS and run their bundle with /usr/bin/node", () => {
      for (const [wrapper, bundle] of [
        ["usr/bin/pmsapp", "pmsapp.cjs"],
        ["usr/sbin/pmsappd", "pmsappd.cjs"],
      ] as const) {
        const text = readFileSync(join(root(), wrapper), "utf8");
        expect(text.startsWith("#!/bin/sh\n")).toBe(true);
        expect(text).toContain(`unset NODE_OPTIONS\nexec /usr/bin/node /usr/lib/pmsapp/${bundle} "$@"\n`);
        expect(existsSync(join(root(), "usr/lib/pmsapp", bundle))).toBe(true);
      }
    });

    it("every man page renders without groff warnings, and pmsapp(1) points at pmsappd(8)", () => {
      const pages = ["man1/pmsapp.1.gz", "man7/pmsapp.7.gz", "man7/pmsapp-raid.7.gz", "man8/pmsapp-target.8.gz", "man8/pmsappd.8.gz"];
      for (const page of pages) {
        const text = gunzipSync(readFileSync(join(root(), "usr/share/man", page))).toString("utf8");
        if (page === "man1/pmsapp.1.gz") {
          expect(text).toBe(".so man8/pmsappd.8\n");
          continue;
        }
        const r = run("groff", ["-man", "-Tutf8", "-ww", "-z"], { input: text });
        expect(r.status, `${page}: ${said(r)}`).toBe(0);
        expect(r.stderr, page).toBe("");
      }
    });

    it("THIRD-PARTY-LICENSES names every package bundled according to dist/meta.json", () => {
      const meta = JSON.parse(readFileSync(join(REPO_ROOT, "dist", "meta.json"), "utf8")) as { inputs: string[] }[];
      const names = new Set(meta.flatMap((b) => b.inputs).flatMap((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(i)?.[1] ?? []));
      const text = readFileSync(join(root(), "usr/share/licenses/pmsapp/THIRD-PARTY-LICENSES"), "utf8");
      for (const name of names) {
        const version = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
        expect(text, name).toContain(`\n${name} ${version} (`);
      }
    });
  });
});
