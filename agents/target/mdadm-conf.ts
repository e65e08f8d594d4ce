/**
 * Keeping the managed array from auto-assembling on this node, by editing mdadm.conf.
 *
 * Decision (default `ignore-uuid`): one `ARRAY <ignore> UUID=<managed>` line. mdadm --incremental (udev
 * at boot, at every change event of the disk, and at iSCSI login) then refuses this array only; every other
 * array on the host keeps auto-assembling. `AUTO -all` (option `auto-all`, the fix verified in the lab spike)
 * is host-wide: it also stops auto-assembly of arrays the operator relies on but never listed. Either way an
 * ARRAY line for the managed UUID elsewhere in the file (the install guide writes one with
 * `mdadm --examine --scan > /etc/mdadm.conf`) is commented out: listed arrays are assembled regardless of
 * AUTO, and a second line for the same UUID would compete with the <ignore> line. The pmsapp raid agent
 * never needs these lines: it assembles by --uuid with an explicit member list.
 *
 * From mdadm's source (Incremental.c): a conf match whose name is <ignore> ends incremental assembly
 * ("array containing X is explicitly ignored by mdadm.conf"), and the AUTO policy is only consulted when
 * no ARRAY line matches (`if (!match && !conf_test_metadata(...))`), hence the commenting-out above.
 * Explicit `mdadm --assemble <md> --uuid=… <members>` does not consult <ignore> lines (only Incremental,
 * Monitor, Detail, Create and --scan walk them); the lab verified explicit assembly under `AUTO -all`,
 * the <ignore> form still has to be proven there (20-reboot scenario).
 *
 * The edit lives in a marked block, explained in the file itself, rewritten in place on every start (so
 * running start twice changes nothing) and never removed by stop: the disk keeps its superblock.
 */
import { canonicalUuid, mdadmUuid } from "../md/uuid.js";

export const BLOCK_BEGIN = "# >>> pmsapp-target: managed block, rewritten by `pmsapp-target start`; edit /etc/pmsapp/target.conf instead";
export const BLOCK_END = "# <<< pmsapp-target";
export const DISABLED_PREFIX = "#pmsapp-target disabled: ";

export type AutoassemblyBlock = "ignore-uuid" | "auto-all";

export interface ConfEdit {
  readonly text: string;
  readonly changed: boolean;
  /** Original lines that were commented out in this edit. */
  readonly disabled: readonly string[];
}

export function managedBlock(uuid: string, device: string, mode: AutoassemblyBlock): string[] {
  const u = mdadmUuid(uuid);
  return [
    BLOCK_BEGIN,
    `# Why: this node exports ${device} over iSCSI and that disk carries a member superblock of the shared`,
    `# array UUID=${u}. If udev/mdadm auto-assembled it here, a local md would hold the disk: tgtd then`,
    "# exports nothing (or a disk md also writes to), and mdadm-last-resort could start the array degraded",
    "# from this one, possibly stale, member. The array is assembled only by the pmsapp raid agent, by UUID",
    "# with an explicit member list, which is not affected by this block.",
    mode === "ignore-uuid"
      ? "# ARRAY <ignore> affects only this array; other arrays on this host still auto-assemble."
      : "# AUTO -all (md_autoassembly_block = auto-all): no array that is not listed below auto-assembles.",
    "# The initramfs copy of this file is refreshed by the keeper (update-initramfs -u / dracut -f).",
    mode === "ignore-uuid" ? `ARRAY <ignore> UUID=${u}` : "AUTO -all",
    BLOCK_END,
  ];
}

/** An ARRAY entry (with its indented continuation lines) naming this UUID. */
function arrayEntryUuid(lines: readonly string[]): string | undefined {
  const m = /\buuid=([0-9a-f:.-]+)/i.exec(lines.join(" "));
  return m ? canonicalUuid(m[1]) : undefined;
}

/** A piece of mdadm.conf outside the keeper's managed block: an ARRAY entry with its continuation lines, or any other line. */
export type ConfPiece = { readonly kind: "array"; readonly lines: readonly string[]; readonly uuid: string | undefined } | { readonly kind: "line"; readonly line: string };

/** The lines of mdadm.conf (without a final empty line), minus the managed block, cut into pieces. */
export function confPieces(src: readonly string[]): ConfPiece[] {
  const out: ConfPiece[] = [];
  let inBlock = false;
  for (let i = 0; i < src.length; i++) {
    const line = src[i] ?? "";
    if (line === BLOCK_BEGIN) {
      inBlock = true;
      continue;
    }
    if (inBlock) {
      if (line === BLOCK_END) inBlock = false;
      continue;
    }
    if (/^ARRAY\s/i.test(line)) {
      const entry = [line];
      while (i + 1 < src.length && /^\s+\S/.test(src[i + 1] ?? "")) entry.push(src[++i] ?? "");
      out.push({ kind: "array", lines: entry, uuid: arrayEntryUuid(entry) });
      continue;
    }
    out.push({ kind: "line", line });
  }
  return out;
}

export function applyAutoassemblyBlock(text: string, uuid: string, device: string, mode: AutoassemblyBlock): ConfEdit {
  const src = text.split("\n");
  if (src.length > 0 && src[src.length - 1] === "") src.pop();
  const out: string[] = [];
  const disabled: string[] = [];
  for (const piece of confPieces(src)) {
    if (piece.kind === "line") out.push(piece.line);
    // Ours, including a hand-written <ignore> line for it: superseded by the block.
    else if (piece.uuid === uuid) {
      for (const l of piece.lines) {
        out.push(DISABLED_PREFIX + l);
        disabled.push(l);
      }
    } else out.push(...piece.lines);
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  const result = [...out, ...(out.length > 0 ? [""] : []), ...managedBlock(uuid, device, mode)].join("\n") + "\n";
  return { text: result, changed: result !== text, disabled };
}

/** Debian reads /etc/mdadm/mdadm.conf, EL /etc/mdadm.conf. */
export function detectMdadmConf(exists: (p: string) => boolean): string {
  if (exists("/etc/mdadm/mdadm.conf")) return "/etc/mdadm/mdadm.conf";
  if (exists("/etc/mdadm.conf")) return "/etc/mdadm.conf";
  return exists("/etc/mdadm") ? "/etc/mdadm/mdadm.conf" : "/etc/mdadm.conf";
}
