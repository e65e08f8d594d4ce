/**
 * `pmsapp create --layout <layout> MEMBER...`: builds the shared md array in one of the layouts pmsapp
 * runs (agents/layout), with the lab-proven settings, from the by-path links of this node's iSCSI
 * sessions. Everything is checked before anything is written: the layout (unsupported ones refused, the
 * write-hole one only with --accept-write-hole), each member (by-path link of a LUN of a logged-in
 * session, not a local disk, not held by an array, no other array's superblock unless
 * --force-overwrite-superblock). --dry-run prints the mdadm command and the follow-up for every node
 * without running it. One mdadm --create through the one Runner, argv only.
 */
import { createArgv, bitmapChunkBytes, mdadmSize } from "../../agents/layout/create-argv.js";
import { LAYOUT_NAMES, LAYOUTS, layoutByName, type Layout } from "../../agents/layout/layouts.js";
import { checkMemberPath, targetEntry, type MemberOk } from "../../agents/layout/members.js";
import { parseExamineExport, parseExportLines, classifyExamineFailure } from "../../agents/md/examine.js";
import { mdadmUuid } from "../../agents/md/uuid.js";
import { describeResult, succeeded, type Runner } from "../../agents/system/command.js";
import { realHostFs, type HostFs } from "../../agents/system/host-fs.js";
import { parseTgtShow } from "../../agents/tgt/show.js";
import { TGTADM } from "../../agents/tgt/tgtadm.js";

export const CREATE_EXIT = { OK: 0, FAILED: 1, USAGE: 2, REFUSED: 6 } as const;

export const CREATE_HELP = `usage: pmsapp create [--layout LAYOUT] [options] MEMBER...

Creates the shared md array from the LUNs of this node's iSCSI sessions, with pmsapp's settings:
metadata 1.2, a neutral homehost (never a node's name), the layout's consistency policy, and for bitmap
layouts a bitmap chunk sized to the member. MEMBER is a /dev/disk/by-path/ip-<portal>-iscsi-<iqn>-lun-N
link of a logged-in session, one per node, in slot order (this node's own LUN too, through iSCSI).
Nothing is written before every check passed. Afterwards it prints the raid agent's parameters and the
mdadm.conf lines every node needs so that no node auto-assembles the array.

layouts:
${LAYOUT_NAMES.map((n) => `  ${n.padEnd(14)}${LAYOUTS[n].support === "supported" ? "" : LAYOUTS[n].support === "needs-force" ? "[only with --accept-write-hole] " : "[refused] "}${LAYOUTS[n].tradeoff}`).join("\n")}

options:
  --layout LAYOUT               one of the above; default raid1 (2- or 3-way mirror: the README's
                                design section says why, with the lab figures)
  --md-device PATH              /dev/mdN or /dev/md/NAME (default /dev/md/pmsapp)
  --name NAME                   array name in the superblock (default pmsapp)
  --homehost NAME               neutral homehost, e.g. the cluster's name (default pmsapp)
  --dry-run                     check everything and print what would run; change nothing
  --force-overwrite-superblock  allow members that carry another array's superblock (that array is lost)
  --accept-write-hole           allow raid5-bitmap (takeover after the active node's crash needs --force)
  --assume-clean                skip the initial sync: ONLY for members that are all zeroes

exit codes: 0 created (or --dry-run passed), 1 mdadm failed, 2 usage, 6 refused (nothing was run)`;

/** The layout for 2 and 3 nodes when none is named (issue 9's decision, README design section). */
export const DEFAULT_LAYOUT = "raid1";

const MD_DEVICE = /^\/dev\/(?:md\d{1,3}|md\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})$/;
const WORD = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;

export interface CreateArgs {
  readonly layout: Layout;
  readonly mdDevice: string;
  readonly name: string;
  readonly homehost: string;
  readonly members: readonly string[];
  readonly dryRun: boolean;
  readonly forceOverwrite: boolean;
  readonly acceptWriteHole: boolean;
  readonly assumeClean: boolean;
}

export type ParsedCreate = { ok: true; args: CreateArgs } | { ok: true; help: true } | { ok: false; error: string };

export function parseCreateArgs(argv: readonly string[]): ParsedCreate {
  let layoutName: string | undefined;
  let mdDevice = "/dev/md/pmsapp";
  let name = "pmsapp";
  let homehost = "pmsapp";
  const members: string[] = [];
  const flags = { dryRun: false, forceOverwrite: false, acceptWriteHole: false, assumeClean: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    if (a === "--help" || a === "-h") return { ok: true, help: true };
    else if (a === "--dry-run") flags.dryRun = true;
    else if (a === "--force-overwrite-superblock") flags.forceOverwrite = true;
    else if (a === "--accept-write-hole") flags.acceptWriteHole = true;
    else if (a === "--assume-clean") flags.assumeClean = true;
    else if (a === "--layout" || a === "--md-device" || a === "--name" || a === "--homehost") {
      const v = value();
      if (v === undefined) return { ok: false, error: `create: ${a} needs a value` };
      if (a === "--layout") layoutName = v;
      else if (a === "--md-device") {
        if (!MD_DEVICE.test(v)) return { ok: false, error: `create: --md-device '${v.slice(0, 80)}' must be /dev/mdN or /dev/md/NAME` };
        mdDevice = v;
      } else {
        if (!WORD.test(v)) return { ok: false, error: `create: ${a} must be 1-32 letters, digits, '_', '.', '-'` };
        if (a === "--name") name = v;
        else homehost = v;
      }
    } else if (a.startsWith("-")) return { ok: false, error: `create: unknown option '${a.slice(0, 80)}'` };
    else members.push(a);
  }
  const layout = layoutByName(layoutName ?? DEFAULT_LAYOUT);
  if (layout === undefined) return { ok: false, error: `create: unknown layout '${(layoutName ?? "").slice(0, 40)}' (${LAYOUT_NAMES.join(", ")})` };
  if (members.length === 0) return { ok: false, error: "create: no members given (one /dev/disk/by-path/... link per node)" };
  return { ok: true, args: { layout, mdDevice, name, homehost, members, ...flags } };
}

export interface CreateIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly runner: Runner;
  /** The host's /sys and /dev (tests: a captured node); default: PMSAPP_HOST_ROOT or /. */
  readonly fs?: HostFs;
}

const QUICK_MS = 15_000;
const CREATE_MS = 120_000;

/** Why this layout may not be created as asked (empty when it may). */
function layoutRefusals(a: CreateArgs): string[] {
  const l = a.layout;
  const out: string[] = [];
  if (l.support === "unsupported") out.push(`layout ${l.name} is not supported: ${l.tradeoff}`);
  if (l.support === "needs-force" && !a.acceptWriteHole) {
    out.push(`layout ${l.name} is refused without --accept-write-hole: ${l.tradeoff}. Use raid5-ppl or raid1 instead (the raid agent also needs degraded=force to run it)`);
  }
  if (a.members.length < l.minMembers || a.members.length > l.maxMembers) {
    out.push(`layout ${l.name} takes ${l.minMembers === l.maxMembers ? l.minMembers : `${l.minMembers} to ${l.maxMembers}`} members, ${a.members.length} given`);
  }
  if (a.assumeClean && l.policy === "ppl") out.push("--assume-clean with raid5-ppl would leave parity unverified that PPL recovery relies on; let the initial sync run");
  return out;
}

/** Superblock check of one member: undefined when blank, else what it carries (or why it cannot be read). */
async function superblockOf(runner: Runner, path: string): Promise<{ kind: "blank" } | { kind: "carries"; text: string } | { kind: "error"; text: string; notInstalled: boolean }> {
  const r = await runner.run("mdadm", ["--examine", "--export", path], { timeoutMs: QUICK_MS });
  if (r.failedToStart !== undefined) return { kind: "error", text: describeResult(r), notInstalled: true };
  if (!succeeded(r)) {
    if (!r.timedOut && classifyExamineFailure(r.stderr) === "no-superblock") return { kind: "blank" };
    return { kind: "error", text: describeResult(r), notInstalled: false };
  }
  const kv = parseExportLines(r.stdout);
  return { kind: "carries", text: `a member superblock of array ${kv.get("MD_UUID") ?? "?"} (${kv.get("MD_LEVEL") ?? "?"}, name ${kv.get("MD_NAME") ?? "?"}, events ${kv.get("MD_EVENTS") ?? "?"})` };
}

/** For members that named a local disk: is it this node's exported LUN? (one tgtadm show, read-only) */
async function exportedAs(runner: Runner, fs: HostFs, devices: readonly { path: string; device: string }[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (devices.length === 0) return found;
  const r = await runner.run(TGTADM, ["--lld", "iscsi", "--op", "show", "--mode", "target"], { timeoutMs: QUICK_MS });
  if (!succeeded(r)) return found;
  for (const t of parseTgtShow(r.stdout)) {
    for (const lun of t.luns) {
      if (lun.backingStore === undefined) continue;
      const backing = fs.realPath(lun.backingStore) ?? lun.backingStore;
      for (const d of devices) if (d.device === backing || d.path === lun.backingStore) found.set(d.path, `${t.iqn} LUN ${lun.lun}`);
    }
  }
  return found;
}

export async function runCreate(argv: readonly string[], io: CreateIo): Promise<number> {
  const parsed = parseCreateArgs(argv);
  if (!parsed.ok) {
    io.err(`pmsapp: ${parsed.error}`);
    io.err("try 'pmsapp create --help'");
    return CREATE_EXIT.USAGE;
  }
  if ("help" in parsed) {
    io.out(CREATE_HELP);
    return CREATE_EXIT.OK;
  }
  const a = parsed.args;
  const fs = io.fs ?? realHostFs(io.env.PMSAPP_HOST_ROOT !== undefined && io.env.PMSAPP_HOST_ROOT !== "" ? io.env.PMSAPP_HOST_ROOT : "/");
  const refusals: string[] = layoutRefusals(a);
  const warnings: string[] = [];

  // Members: stable iSCSI paths of this node's sessions, one per target, not in use.
  const checks = a.members.map((m) => checkMemberPath(fs, m));
  const locals = checks.flatMap((c) => (!c.ok && c.local !== undefined ? [{ path: c.path, device: c.local.device }] : []));
  const exported = await exportedAs(io.runner, fs, locals);
  for (const c of checks) {
    if (c.ok) continue;
    const ex = exported.get(c.path);
    refusals.push(ex === undefined ? c.reason : `${c.reason}; it is this node's exported disk (${ex}): use its iSCSI path /dev/disk/by-path/ip-…-iscsi-${ex.split(" ")[0]}-lun-N instead`);
  }
  const ok = checks.filter((c): c is MemberOk => c.ok);
  const seen = new Map<string, string>();
  for (const c of ok) {
    const prev = seen.get(c.lun.iqn);
    if (prev !== undefined) refusals.push(`${c.path} and ${prev} are LUNs of the same target ${c.lun.iqn}: one node's loss would take two members`);
    seen.set(c.lun.iqn, c.path);
  }
  const unsized = ok.filter((c) => c.sizeBytes === undefined);
  if (unsized.length > 0) refusals.push(`cannot read the size of ${unsized.map((c) => `${c.path} (/sys/block/${c.disk}/size)`).join(", ")}`);
  const sizes = ok.flatMap((c) => (c.sizeBytes === undefined ? [] : [c.sizeBytes]));
  const smallest = sizes.length > 0 ? Math.min(...sizes) : 0;
  if (sizes.length > 0 && Math.max(...sizes) > smallest * 1.01) warnings.push(`members differ in size; each contributes only ${mdadmSize(Math.floor(smallest / 1024) * 1024)} (the smallest)`);

  // Superblocks (read-only): another array's member is never overwritten by accident.
  for (const c of ok) {
    const sb = await superblockOf(io.runner, c.path);
    if (sb.kind === "error") {
      if (sb.notInstalled) {
        io.err(`pmsapp: mdadm is not installed or not runnable: ${sb.text}`);
        return CREATE_EXIT.FAILED;
      }
      refusals.push(`cannot examine ${c.path}: ${sb.text}`);
    } else if (sb.kind === "carries") {
      if (a.forceOverwrite) warnings.push(`${c.path} carries ${sb.text}: overwritten (--force-overwrite-superblock)`);
      else refusals.push(`${c.path} carries ${sb.text}: that array would be destroyed; if it is really unused, repeat with --force-overwrite-superblock`);
    }
  }

  if (refusals.length > 0) {
    for (const r of refusals) io.err(`pmsapp: create refused: ${r}`);
    io.err("pmsapp: nothing was changed");
    return CREATE_EXIT.REFUSED;
  }

  const args = createArgv({ layout: a.layout.name, mdDevice: a.mdDevice, name: a.name, homehost: a.homehost, members: a.members, memberBytes: smallest, assumeClean: a.assumeClean });
  for (const w of warnings) io.err(`pmsapp: warning: ${w}`);
  const targets = ok.map((c) => targetEntry(c.lun)).join(" ");
  io.out(`layout ${a.layout.name}: ${a.layout.tradeoff}`);
  io.out(`capacity about ${mdadmSize(Math.floor(a.layout.capacity(a.members.length, smallest) / 1024) * 1024)} from ${a.members.length} members of ${mdadmSize(Math.floor(smallest / 1024) * 1024)}${a.layout.policy === "bitmap" ? `; bitmap chunk ${mdadmSize(bitmapChunkBytes(smallest))}` : ""}`);
  io.out(`${a.dryRun ? "would run" : "running"}: mdadm ${args.join(" ")}`);
  if (a.dryRun) {
    printFollowUp(io, a, undefined, targets);
    return CREATE_EXIT.OK;
  }
  const created = await io.runner.run("mdadm", args, { timeoutMs: CREATE_MS });
  if (!succeeded(created)) {
    io.err(`pmsapp: mdadm --create failed: ${describeResult(created)}`);
    return CREATE_EXIT.FAILED;
  }
  // The UUID from the first member's new superblock: /dev/md/NAME appears only when udev gets to it.
  const first = a.members[0] as string;
  const examined = await io.runner.run("mdadm", ["--examine", "--export", first], { timeoutMs: QUICK_MS });
  const sb = succeeded(examined) ? parseExamineExport(examined.stdout) : undefined;
  if (sb === undefined || !sb.ok) {
    io.err(`pmsapp: the array was created, but its UUID could not be read from ${first} (${sb === undefined ? describeResult(examined) : sb.error}): run mdadm --detail ${a.mdDevice}`);
    printFollowUp(io, a, undefined, targets);
    return CREATE_EXIT.FAILED;
  }
  io.out(`created ${a.mdDevice}, array UUID ${mdadmUuid(sb.value.uuid)}`);
  printFollowUp(io, a, sb.value.uuid, targets);
  return CREATE_EXIT.OK;
}

function printFollowUp(io: CreateIo, a: CreateArgs, uuid: string | undefined, targets: string): void {
  const u = uuid === undefined ? "<the UUID mdadm --detail prints>" : mdadmUuid(uuid);
  io.out("");
  io.out("raid agent parameters (Pacemaker ocf:pmsapp:raid, rgmanager pmsapp-raid, or /etc/pmsapp/swraid.conf):");
  io.out(`  uuid = ${u}`);
  io.out(`  targets = "${targets}"`);
  io.out(`  md_device = ${a.mdDevice}`);
  if (a.layout.support === "needs-force") io.out("  degraded = force   (raid5-bitmap: the takeover after the active node's crash needs mdadm --force)");
  io.out("");
  io.out("On EVERY node, this one included, before its next boot or iSCSI login, keep md from auto-assembling the array:");
  io.out(`  with the pmsapp target keeper: managed_uuid = ${u} in /etc/pmsapp/target.conf (md_autoassembly_block = auto-all for AUTO -all), then restart pmsapp-target;`);
  io.out("  by hand: this block at the end of /etc/mdadm/mdadm.conf (EL: /etc/mdadm.conf), then update-initramfs -u (EL: dracut -f):");
  io.out("    AUTO -all");
  io.out(`    ARRAY <ignore> UUID=${u}`);
  io.out("  (AUTO -all stops auto-assembly of every array not listed; the <ignore> line alone affects only this one.)");
  io.out("");
  io.out(`Then: mkfs on ${a.mdDevice}; mdadm --stop ${a.mdDevice}; log out of the sessions (iscsiadm -m node -T <iqn> -p <portal> -u); let the cluster manager start it.`);
}
